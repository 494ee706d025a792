/*
 * fuzz.h: what the libFuzzer harnesses in tests/fuzz/ share.
 *
 * Each harness defines LLVMFuzzerTestOneInput().  Built with clang's
 * -fsanitize=fuzzer it is a libFuzzer target (`make fuzz`); linked with
 * replay.c instead, with any compiler, it replays inputs from files, so
 * that `make test` runs every kept input without clang.
 *
 * A harness checks more than "no crash": FUZZ_CHECK() states what must
 * hold for every input (a reply the daemon sends decodes, a walk of a
 * static ring ends, ...), and aborts, which both drivers report as a
 * failure, with the input that broke it.
 */
#ifndef MML_FUZZ_H
#define MML_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: fuzz check failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A file holding buf[0, len) followed by zeros up to file_len bytes
 * (file_len >= len), and its path, for code that takes a path.  A
 * regular file of its own in a private directory of /dev/shm (or
 * $TMPDIR), not a memfd's "/proc/self/fd/N": that is a symbolic link,
 * which mmlogd refuses as a ring path; allocated whole, as a ring must
 * be.  The file stays until the next call or the end of the process.  Returns the fd (the caller closes
 * it), or aborts: a harness that cannot set up is broken, not the code.
 */
int fuzz_memfd(const void *buf, size_t len, uint64_t file_len,
    char path[64]);

/* Little-endian loads that never read past end; missing bytes read 0. */
uint32_t fuzz_u32(const uint8_t *p, size_t left);

#endif /* MML_FUZZ_H */
