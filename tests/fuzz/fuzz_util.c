/*
 * fuzz_util.c: helpers of the harnesses (fuzz.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

static char file_dir[48];
static char file_path[64];

static void
file_cleanup(void)
{
	if (file_path[0] != '\0')
		(void)unlink(file_path);
	if (file_dir[0] != '\0')
		(void)rmdir(file_dir);
}

int
fuzz_memfd(const void *buf, size_t len, uint64_t file_len, char path[64])
{
	const uint8_t *p = buf;
	const char *tmp;
	size_t done;
	ssize_t n;
	int fd;

	if (file_dir[0] == '\0') {
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
		    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
		(void)snprintf(file_dir, sizeof(file_dir), "%.28s/mmlog-fuzz."
		    "XXXXXX", tmp);
		FUZZ_CHECK(mkdtemp(file_dir) != NULL);
		(void)snprintf(file_path, sizeof(file_path), "%s/f", file_dir);
		(void)atexit(file_cleanup);
	}
	(void)unlink(file_path);
	fd = open(file_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	FUZZ_CHECK(fd >= 0);
	/*
	 * Allocated whole, as mmlogd makes its rings (holes are refused);
	 * an empty file has nothing to allocate (and posix_fallocate()
	 * refuses a length of 0).
	 */
	if (file_len > 0 || len > 0)
		FUZZ_CHECK(posix_fallocate(fd, 0, (off_t)(file_len > len ?
		    file_len : len)) == 0);
	for (done = 0; done < len; done += (size_t)n) {
		n = pwrite(fd, p + done, len - done, (off_t)done);
		FUZZ_CHECK(n > 0);
	}
	memcpy(path, file_path, sizeof(file_path));
	return fd;
}

uint32_t
fuzz_u32(const uint8_t *p, size_t left)
{
	uint8_t b[4] = { 0, 0, 0, 0 };

	memcpy(b, p, left < 4 ? left : 4);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 24;
}

/*
 * mmlogctl's reader pauses a millisecond before it believes a record
 * below the head is damaged (a writer may be in the middle of it).  In
 * a harness the file is static and no writer exists: the pause would
 * only slow the fuzzer down a hundredfold.  The fuzz build compiles
 * client/ringread/read.c with -Dnanosleep=mml_fuzz_nanosleep (see the Makefile), so
 * only its pauses come here; libFuzzer's own sleeps are untouched.
 */
int mml_fuzz_nanosleep(const struct timespec *req, struct timespec *rem);

int
mml_fuzz_nanosleep(const struct timespec *req, struct timespec *rem)
{
	(void)req;
	(void)rem;
	return 0;
}
