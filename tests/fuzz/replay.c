/*
 * replay.c: a main() for the harnesses that replays inputs from files,
 * for builds without libFuzzer (`make test` replays the kept corpus of
 * tests/fuzz/ with gcc, `make asan` under the sanitizers).
 *
 *	fuzz-NAME-replay FILE|DIR...
 *
 * Each FILE, and each regular file in each DIR, is one input.  A failed
 * check or a sanitizer report aborts with the name of the input printed
 * by a signal handler.  Prints "NAME: N inputs replayed" and exits 0 otherwise.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static size_t replayed;
static const char *current;

/* Names the input that crashed, then dies of the signal as it would. */
static void
crash_handler(int sig)
{
	static const char pre[] = "replay: crashed on input ";
	ssize_t n;

	if (current != NULL) {
		n = write(2, pre, sizeof(pre) - 1);
		n = write(2, current, strlen(current));
		n = write(2, "\n", 1);
		(void)n;
	}
	(void)signal(sig, SIG_DFL);
	(void)raise(sig);
}

static int
replay_file(const char *path)
{
	FILE *f;
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			uint8_t *nb;

			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				fprintf(stderr, "replay: out of memory\n");
				exit(1);
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	(void)fclose(f);
	current = path;
	(void)LLVMFuzzerTestOneInput(buf, len);
	current = NULL;
	free(buf);
	replayed++;
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
replay_dir(const char *dir)
{
	DIR *d;
	struct dirent *e;
	char **names = NULL, path[4096];
	size_t n = 0, cap = 0, i;
	struct stat st;
	int rc = 0;

	d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			if (names == NULL)
				exit(1);
		}
		names[n] = strdup(e->d_name);
		if (names[n] == NULL)
			exit(1);
		n++;
	}
	(void)closedir(d);
	/* In a fixed order, so that two runs do the same. */
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    replay_file(path) < 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int
main(int argc, char **argv)
{
	struct stat st;
	const char *name;
	int i, rc = 0;

	(void)signal(SIGABRT, crash_handler);
	(void)signal(SIGSEGV, crash_handler);
	(void)signal(SIGFPE, crash_handler);
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
			    strerror(errno));
			rc = 1;
		} else if (S_ISDIR(st.st_mode)) {
			if (replay_dir(argv[i]) < 0)
				rc = 1;
		} else if (replay_file(argv[i]) < 0)
			rc = 1;
	}
	name = strrchr(argv[0], '/');
	name = name != NULL ? name + 1 : argv[0];
	printf("%s: %zu inputs replayed\n", name, replayed);
	return rc;
}
