// SPDX-License-Identifier: GPL-2.0
/*
 * vdused: serves the virtio devices of the compiled-in device table
 * through VDUSE, single-threaded.
 *
 * The whole daemon is one loop around epoll_wait().  Signals arrive as a
 * signalfd; device fds, kick eventfds and backend completions are loop
 * sources owned by their modules.  The lifecycle is the explicit state
 * below: RUNNING until SIGTERM/SIGINT, then DRAINING: the devices are
 * detached (their drivers flush and reset them) while the loop keeps
 * serving, until the detach is done and every request a backend still
 * holds has completed, within a bound; then the devices are destroyed and
 * the process exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/fault.h"
#include "../core/kconfig.h"
#include "../core/log.h"
#include "../core/loop.h"
#include "../core/rundir.h"
#include "../devtable/devtable.h"
#include "../vduse/control.h"
#include "devices.h"

/* VDFW_VERSION: `git describe` of the tree vdused was built from. */
#include "vdfw_version.h"

/* How long SIGTERM waits for backends before failing what is left. */
#define DRAIN_TIMEOUT_MS 10000
#define DRAIN_TICK_MS 100

enum daemon_state {
	DAEMON_RUNNING,
	DAEMON_DRAINING,
	DAEMON_DONE,
};

static enum daemon_state state = DAEMON_RUNNING;
static struct loop_source signal_src = { .fd = -1 };

static void on_signal(struct loop_source *src, uint32_t events)
{
	struct signalfd_siginfo si;

	(void)events;
	while (read(src->fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			if (state == DAEMON_RUNNING) {
				pr_info("signal %u: shutting down", si.ssi_signo);
				state = DAEMON_DRAINING;
			}
			break;
		case SIGCHLD:
			devices_reap_children();
			break;
		case SIGUSR1:
			devices_dump_stats();
			break;
		default:
			devices_signal(si.ssi_signo);
			break;
		}
	}
}

static int signals_init(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD,
				    SIGUSR1, SIGUSR2 };
	sigset_t set;
	unsigned int i;

	sigemptyset(&set);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&set, sigs[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	signal_src.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (signal_src.fd < 0)
		return -errno;
	signal_src.handle = on_signal;
	/* Writing to a vanished tap or a closed pipe must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	return loop_watch(&signal_src, EPOLLIN);
}

static void banner(void)
{
	pr_info("vdused %s (vdfw) starting, pid %d", VDFW_VERSION, getpid());
	pr_info("build: debug=%s run-dir=%s bounce=%dMiB irq-affinity=%s",
		IS_ENABLED(CONFIG_VDUSED_DEBUG) ? "y" : "n", run_dir(),
		CONFIG_VDUSED_BOUNCE_SIZE_MIB,
		IS_ENABLED(CONFIG_VDUSED_IRQ_AFFINITY) ? "y" : "n");
	pr_info("build: %u blk, %u net devices%s%s", blk_devtable_len,
		net_devtable_len, devtable_summary[0] ? ": " : "",
		devtable_summary);
}

/*
 * Only one vdused may serve the table: a second one would fight over the
 * device fds and remove the first one's ready file.  The kernel drops the
 * lock when we die, however we die.
 */
static int single_instance(void)
{
	char lock[256];
	int fd;

	run_path(lock, sizeof(lock), "lock", "");
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		pr_info("error: cannot open %s: %s", lock, strerror(errno));
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		pr_info("error: another vdused is running (%s is locked)", lock);
		close(fd);
		return -EBUSY;
	}
	return 0;	/* fd stays open: it holds the lock */
}

/* The ready file holds our pid; init waits for it before boot hooks. */
static void ready(void)
{
	char pid[16], path[256], tmp[256];
	int fd, n;

	run_path(path, sizeof(path), "ready", "");
	run_path(tmp, sizeof(tmp), "ready", ".tmp");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		n = snprintf(pid, sizeof(pid), "%d\n", getpid());
		if (write(fd, pid, n) != n || rename(tmp, path))
			pr_info("warning: cannot write %s", path);
		close(fd);
	}
	pr_info("ready");
}

static void not_ready(void)
{
	char path[256];

	run_path(path, sizeof(path), "ready", "");
	unlink(path);
}

/*
 * SIGTERM: detach every device (its driver flushes and resets it while we
 * keep serving), let backends finish what they hold, all within a bound,
 * then destroy the devices.
 */
static void drain(void)
{
	int waited = 0;

	devices_stop();
	while (devices_busy() && waited < DRAIN_TIMEOUT_MS) {
		loop_wait(DRAIN_TICK_MS);
		devices_tick();
		waited += DRAIN_TICK_MS;
	}
	if (devices_busy())
		pr_info("warning: still busy after %d ms (detach or %u requests); giving up on them",
			DRAIN_TIMEOUT_MS, devices_busy());
	devices_destroy();
	state = DAEMON_DONE;
}

int main(int argc, char **argv)
{
	bool announced = false;
	int ret;

	if (argc > 1 && !strcmp(argv[1], "-v"))
		log_verbose = 1;
	log_verbose |= IS_ENABLED(CONFIG_VDUSED_DEBUG);
	banner();
	if (single_instance())
		return 1;
	not_ready();

	ret = loop_init();
	if (!ret)
		ret = signals_init();
	if (!ret)
		ret = fault_init();
	if (ret) {
		pr_info("error: event loop: %s", strerror(-ret));
		return 1;
	}
	if (vduse_control_open())
		return 1;
	ret = devices_start();
	if (ret) {
		pr_info("error: devices did not start: %s", strerror(-ret));
		devices_destroy();
		return 1;
	}

	/* Ready once every device is attached (its driver has probed). */
	while (state == DAEMON_RUNNING) {
		if (!announced && devices_settled()) {
			ready();
			announced = true;
		}
		loop_wait(-1);
		devices_tick();
	}
	drain();

	not_ready();
	vduse_control_close();
	pr_info("exit");
	return 0;
}
