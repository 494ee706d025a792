/*
 * util.c: number and size parsing shared by mmlogd's options and
 * configuration file, mmlogctl and mmlog-forward, the one decimal
 * writer, and their one rule for long options (util.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

static int	digits(const char **, uint64_t *);

/*
 * Reads the decimal digits at *s (at least one) into *ret and moves *s
 * past them.  Returns 0, -EINVAL without a digit, -ERANGE on overflow.
 */
static int
digits(const char **s, uint64_t *ret)
{
	const char *p = *s;
	uint64_t v = 0;
	unsigned d;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*s = p;
	*ret = v;
	return 0;
}

int
mml_parse_u64(const char *s, uint64_t *ret)
{
	uint64_t v;
	int r;

	if ((r = digits(&s, &v)) < 0)
		return r;
	if (*s != '\0')
		return -EINVAL;
	*ret = v;
	return 0;
}

int
mml_parse_range(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	uint64_t v;
	int r;

	if ((r = mml_parse_u64(s, &v)) < 0)
		return r;
	if (v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int
mml_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t
mml_put_dec(void *out, uint64_t v)
{
	char tmp[MML_DEC_MAX];
	size_t n = sizeof(tmp);

	/* The digits from the last, then where the caller wants them. */
	do {
		tmp[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	memcpy(out, tmp + n, sizeof(tmp) - n);
	return sizeof(tmp) - n;
}

int
mml_parse_size(const char *s, uint64_t *ret)
{
	uint64_t v;
	unsigned shift = 0;
	int r;

	if ((r = digits(&s, &v)) < 0)
		return r;
	if (*s != '\0') {
		switch (*s) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		case 't': case 'T': shift = 40; break;
		default: return -EINVAL;
		}
		s++;
		if (*s == 'i')
			s++;
		if (*s == 'B' || *s == 'b')
			s++;
		if (*s != '\0')
			return -EINVAL;
	}
	if (v > (UINT64_MAX >> shift))
		return -ERANGE;
	*ret = v << shift;
	return 0;
}

int
mml_getopt_long(int argc, char *const argv[], const char *optstring,
    const struct option *longopts, int *longindex)
{
	const char *given, *name;
	size_t len;
	int c, idx = -1, at;

	c = getopt_long(argc, argv, optstring, longopts, &idx);
	if (c == -1 || idx < 0)
		goto out;
	/*
	 * The element the option came from: the last one getopt took, or
	 * the one before it if that was the option's separate argument.
	 */
	at = optind - 1;
	if (optarg != NULL && at > 0 && optarg == argv[at])
		at--;
	given = argv[at];
	name = longopts[idx].name;
	len = strlen(name);
	if (strncmp(given, "--", 2) == 0 && strncmp(given + 2, name, len) == 0 &&
	    (given[2 + len] == '\0' || given[2 + len] == '='))
		goto out;
	if (opterr)
		(void)fprintf(stderr, "%s: unrecognized option '%s'\n", argv[0],
		    given);
	optind = at + 1;
	optopt = 0;
	optarg = NULL;
	return '?';
out:
	if (longindex != NULL)
		*longindex = idx;
	return c;
}
