/*
 * util.c: number and size parsing shared by mmlogd's options and
 * configuration file, mmlogctl and mmlog-forward (util.h).
 */
#include <errno.h>
#include <stdint.h>

#include "util.h"

int
mml_parse_u64(const char *s, uint64_t *ret)
{
	uint64_t v = 0;
	unsigned d;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
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
	uint64_t v = 0;
	unsigned d, shift = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
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
