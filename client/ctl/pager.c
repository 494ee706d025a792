/*
 * pager.c: mmlogctl's terminal manners, as journalctl has them: a
 * pager for output to a terminal, and whether to highlight by priority.
 *
 * The pager is a child that reads our standard output through a pipe;
 * we write into the pipe as into any stdout, and wait for the child at
 * the end.  If the child cannot start any pager it copies the pipe to
 * the terminal itself, so output is never lost to a missing less(1).
 */
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"

static void	 pager_copy(int, int);
static void	 pager_child(const char *, int, int, int);

static pid_t pager_pid = -1;

int
mml_ctl_color_wanted(int fd)
{
	const char *term = getenv("TERM");

	/* https://no-color.org: set at all, to anything, means no colour. */
	if (getenv("NO_COLOR") != NULL)
		return 0;
	/* An unset TERM is a dumb terminal, as systemd judges it. */
	if (term == NULL || *term == '\0' || strcmp(term, "dumb") == 0)
		return 0;
	return isatty(fd);
}

/* Copies in to out until the end, for a terminal without any pager. */
static void
pager_copy(int in, int out)
{
	char buf[65536];
	ssize_t n, w, done;

	for (;;) {
		n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		for (done = 0; done < n; done += w) {
			w = write(out, buf + done, (size_t)(n - done));
			if (w < 0 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w < 0)
				return;
		}
	}
}

/*
 * In the child: the pipe's read end becomes standard input, then the
 * pager named by cmd (run by the shell, as $PAGER is a command line),
 * or with cmd NULL, less, then more, then a plain copy.
 */
static void
pager_child(const char *cmd, int rfd, int tty, int end)
{
	const char *cs, *less;
	char buf[256];

	/* Gone with us if we die (a signal): no pager left on the terminal
	 * after the shell has its prompt back.  Normally we wait for it. */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (dup2(rfd, STDIN_FILENO) < 0)
		_exit(EXIT_FAILURE);
	if (rfd != STDIN_FILENO)
		(void)close(rfd);
	/*
	 * F: quit if it fits one screen; R: pass colours; S: chop long
	 * lines; X: leave the screen as it is at exit; M: long prompt;
	 * K: quit on Ctrl-C.  journalctl's defaults.
	 */
	(void)setenv("LESS", "FRSXMK", 0);
	/* -e: less's "+G", the end, as journalctl adds it. */
	less = getenv("LESS");
	if (end && less != NULL && strlen(less) + 4 < sizeof(buf)) {
		(void)snprintf(buf, sizeof(buf), "%s +G", less);
		(void)setenv("LESS", buf, 1);
	}
	cs = nl_langinfo(CODESET);
	if (cs != NULL && strcmp(cs, "UTF-8") == 0)
		(void)setenv("LESSCHARSET", "utf-8", 0);
	/* We ignore SIGPIPE; a pager should not inherit that. */
	(void)signal(SIGPIPE, SIG_DFL);
	if (cmd != NULL) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	execlp("less", "less", (char *)NULL);
	execlp("more", "more", (char *)NULL);
	pager_copy(STDIN_FILENO, tty);
	_exit(EXIT_SUCCESS);
}

int
mml_ctl_pager_open(int end)
{
	const char *cmd;
	int p[2] = { -1, -1 }, tty = -1, e;
	pid_t pid;

	if (pager_pid > 0 || !isatty(STDOUT_FILENO))
		return 0;
	cmd = getenv("MMLOG_PAGER");
	if (cmd == NULL)
		cmd = getenv("PAGER");
	if (cmd != NULL && (*cmd == '\0' || strcmp(cmd, "cat") == 0))
		return 0;
	/* The terminal, for the copy when no pager can be run. */
	tty = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	if (tty < 0 || pipe2(p, O_CLOEXEC) < 0)
		goto fail;
	(void)fflush(stdout);
	pid = fork();
	if (pid < 0)
		goto fail;
	if (pid == 0)
		pager_child(cmd, p[0], tty, end);
	(void)close(p[0]);
	(void)close(tty);
	if (dup2(p[1], STDOUT_FILENO) < 0) {
		e = errno;
		(void)close(p[1]);
		(void)kill(pid, SIGTERM);
		(void)waitpid(pid, NULL, 0);
		return -e;
	}
	(void)close(p[1]);
	pager_pid = pid;
	return 1;
fail:
	e = errno;
	if (p[0] >= 0)
		(void)close(p[0]);
	if (p[1] >= 0)
		(void)close(p[1]);
	if (tty >= 0)
		(void)close(tty);
	return -e;
}

void
mml_ctl_pager_close(void)
{
	int st;

	if (pager_pid <= 0)
		return;
	(void)fflush(stdout);
	/* The pager sees the end of its input only once every copy of
	 * the pipe's write end is closed. */
	(void)close(STDOUT_FILENO);
	while (waitpid(pager_pid, &st, 0) < 0 && errno == EINTR)
		;
	pager_pid = -1;
}
