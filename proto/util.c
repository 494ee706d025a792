/*
 * util.c: number and size parsing shared by mmlogd's options and
 * configuration file, mmlogctl and mmlog-forward (util.h).
 */
#include <errno.h>
#include <stdint.h>

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
