/*
 * cursor.c: cursors, a reader's place in a ring as text, journalctl's
 * way ("s=<ring id>;i=<seq>", the seq in hex), and the files that keep
 * one: mmlogctl's --cursor-file and mmlog-forward's cursor file.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ringread.h"
#include "util.h"


void
mml_rd_cursor_format(char *buf, const uint8_t ring_id[16], uint64_t seq)
{
	char id[33];

	mml_rd_hex128(id, ring_id);
	(void)snprintf(buf, MML_RD_CURSOR_MAX, "s=%s;i=%" PRIx64, id, seq);
}

int
mml_rd_cursor_parse(const char *s, uint8_t ret_ring_id[16],
    uint64_t *ret_seq)
{
	const char *p = s, *end, *v;
	uint8_t id[16];
	uint64_t seq = 0;
	size_t len, i;
	int have_id = 0, have_seq = 0, hi, lo;

	while (*p != '\0') {
		end = strchr(p, ';');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len >= 2 && p[1] == '=') {
			v = p + 2;
			if (p[0] == 's') {
				if (len - 2 != 32)
					return -EINVAL;
				for (i = 0; i < 16; i++) {
					hi = mml_hexval(v[2 * i]);
					lo = mml_hexval(v[2 * i + 1]);
					if (hi < 0 || lo < 0)
						return -EINVAL;
					id[i] = (uint8_t)(hi << 4 | lo);
				}
				have_id = 1;
			} else if (p[0] == 'i') {
				if (len - 2 < 1 || len - 2 > 16)
					return -EINVAL;
				seq = 0;
				for (i = 0; i < len - 2; i++) {
					hi = mml_hexval(v[i]);
					if (hi < 0)
						return -EINVAL;
					seq = seq << 4 | (uint64_t)hi;
				}
				have_seq = 1;
			}
		} else if (len > 0)
			return -EINVAL;
		p += len;
		if (*p == ';')
			p++;
	}
	if (!have_id || !have_seq)
		return -EINVAL;
	memcpy(ret_ring_id, id, 16);
	*ret_seq = seq;
	return 0;
}

int
mml_rd_cursor_file_read(const char *path, char *buf, size_t cap)
{
	ssize_t n;
	size_t len;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return -errno;
	n = read(fd, buf, cap - 1);
	e = errno;
	(void)close(fd);
	if (n < 0)
		return -e;
	len = (size_t)n;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' ' ||
	    buf[len - 1] == '\r' || buf[len - 1] == '\t'))
		len--;
	buf[len] = '\0';
	/* An empty file (created by hand, say) means "from the start". */
	return len > 0;
}

int
mml_rd_cursor_file_write(const char *path, const uint8_t ring_id[16],
    uint64_t seq, mode_t mode)
{
	char text[MML_RD_CURSOR_MAX + 1];
	size_t n;

	mml_rd_cursor_format(text, ring_id, seq);
	n = strlen(text);
	text[n] = '\n';
	text[n + 1] = '\0';
	return mml_rd_write_atomic(path, text, mode, 1);
}
