/*
 * util.h: the small facts every program of the project needs, written
 * once: reading a number or a size from text, the clocks, and the rule
 * that long options match by their whole name.  Pure: no I/O, no
 * allocation, no logging (but getopt's own message, as getopt gives it).
 */
#ifndef MML_UTIL_H
#define MML_UTIL_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * Parses an unsigned decimal number: one or more digits and nothing
 * else (no sign, no space, no base prefix).  Returns 0 and *ret; -EINVAL
 * for anything else, -ERANGE above UINT64_MAX.  *ret is written only on
 * success.  Example: mml_parse_u64("4096", &v) gives 4096.
 */
int mml_parse_u64(const char *s, uint64_t *ret);

/*
 * mml_parse_u64() within [min, max]: -ERANGE outside it.
 */
int mml_parse_range(const char *s, uint64_t min, uint64_t max,
    uint64_t *ret);

/*
 * Parses a size: a decimal number, optionally followed by K, M, G or T
 * (powers of 1024, either case), an optional "i" and an optional "B":
 * "65536", "64M", "1GiB", "4kb".  Returns 0 and *ret; -EINVAL or -ERANGE.
 */
int mml_parse_size(const char *s, uint64_t *ret);

/* The value of a hex digit (either case), or -1 if c is none. */
int mml_hexval(int c);

/*
 * Writes v in decimal, without a sign, leading zeros or a terminating
 * NUL, to out, which has room for MML_DEC_MAX bytes; returns the digits
 * written (1 to 20).  Without printf: the reader's scan, the syslog
 * parse and the forwarder write numbers for every entry.  Example:
 * mml_put_dec(buf, 205) writes "205" and returns 3.
 */
#define MML_DEC_MAX	20
size_t mml_put_dec(void *out, uint64_t v);

/*
 * getopt_long(3), but a long option matches only by its whole name.
 * glibc takes any unique prefix of a long option for it ("--cur" for
 * "--cursor-file"), so that a mistyped option, or one a later version
 * adds, silently becomes another.  Returns what getopt_long() returns;
 * for an abbreviation, '?' with optopt 0 and argv[optind - 1] the
 * abbreviated option as given, after saying so on stderr as getopt does
 * for an unknown one if opterr is set.  Example: with a long option
 * "lines", "--lines=5" gives its val and "--li=5" gives '?'.
 */
int mml_getopt_long(int argc, char *const argv[], const char *optstring,
    const struct option *longopts, int *longindex);

/* The clock's time in microseconds, and in nanoseconds. */
static inline uint64_t
mml_now_usec(clockid_t clock)
{
	struct timespec ts;

	(void)clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static inline uint64_t
mml_now_nsec(clockid_t clock)
{
	struct timespec ts;

	(void)clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

#endif /* MML_UTIL_H */
