/*
 * relp.c: the frames of RELP, the Reliable Event Logging Protocol, as
 * librelp's specification (doc/relp.html) and rsyslog's imrelp speak
 * it, for mmlog-forward's client (out.c).  Pure: no I/O, no allocation.
 *
 *	FRAME   = TXNR SP COMMAND SP DATALEN [SP DATA] TRAILER
 *	TXNR    = 1 to 9 digits, 1..999999999 (0 only in server hints)
 *	COMMAND = 1 to 32 letters ("open", "syslog", "close", "rsp",
 *	          "serverclose")
 *	DATALEN = 1 to 9 digits, the bytes of DATA
 *	TRAILER = LF
 *
 * The client numbers its frames from 1 ("open") and the server answers
 * each with an "rsp" frame of the same TXNR whose data begins with a
 * three-digit status: "200 OK", or an error.  A server that goes away
 * may first send the hint "0 serverclose 0".
 */
#include <errno.h>
#include <string.h>

#include "fwd.h"
#include "util.h"

uint32_t
mml_fwd_relp_txnr_next(uint32_t txnr)
{
	return txnr >= MML_FWD_RELP_TXNR_MAX ? 1 : txnr + 1;
}

size_t
mml_fwd_relp_hdr(char *out, uint32_t txnr, const char *cmd, size_t len)
{
	size_t n, c = strlen(cmd);

	n = mml_put_dec(out, txnr);
	out[n++] = ' ';
	memcpy(out + n, cmd, c);
	n += c;
	out[n++] = ' ';
	n += mml_put_dec(out + n, len);
	if (len > 0)
		out[n++] = ' ';
	return n;
}

/*
 * Reads 1 to max digits at p[*i, len) into *ret.  Returns 1 with *i
 * past them, 0 if the input ends first, -EBADMSG if no digit or too
 * many.
 */
static int
get_num(const uint8_t *p, size_t len, size_t *i, size_t max, uint64_t *ret)
{
	uint64_t v = 0;
	size_t n = 0;

	while (*i < len && p[*i] >= '0' && p[*i] <= '9') {
		if (++n > max)
			return -EBADMSG;
		v = v * 10 + (uint64_t)(p[*i] - '0');
		(*i)++;
	}
	if (*i == len)
		return 0;
	if (n == 0)
		return -EBADMSG;
	*ret = v;
	return 1;
}

int
mml_fwd_relp_parse(const uint8_t *p, size_t len,
    struct mml_fwd_relp_frame *ret)
{
	uint64_t txnr, dlen;
	size_t i = 0, c;
	int r;

	if ((r = get_num(p, len, &i, 9, &txnr)) <= 0)
		return r;
	if (p[i++] != ' ')
		return -EBADMSG;
	for (c = 0; i < len && ((p[i] >= 'a' && p[i] <= 'z') ||
	    (p[i] >= 'A' && p[i] <= 'Z')); i++, c++)
		if (c == MML_FWD_RELP_CMD_MAX)
			return -EBADMSG;
	if (i == len)
		return 0;
	if (c == 0 || p[i] != ' ')
		return -EBADMSG;
	memcpy(ret->cmd, p + i - c, c);
	ret->cmd[c] = '\0';
	i++;
	if ((r = get_num(p, len, &i, 9, &dlen)) <= 0)
		return r;
	if (dlen > MML_FWD_RELP_DATA_MAX)
		return -EBADMSG;
	/* Data, if any, after a space; librelp also puts one before none. */
	if (p[i] == ' ')
		i++;
	else if (dlen > 0)
		return -EBADMSG;
	/* Compare with what remains; never add to a length read. */
	if (len - i < dlen + 1)
		return 0;
	if (p[i + dlen] != '\n')
		return -EBADMSG;
	ret->txnr = (uint32_t)txnr;
	ret->data = p + i;
	ret->data_len = (size_t)dlen;
	return (int)(i + dlen + 1);
}

int
mml_fwd_relp_rsp_code(const struct mml_fwd_relp_frame *f,
    const uint8_t **ret_text, size_t *ret_text_len)
{
	const uint8_t *d = f->data, *lf;
	size_t len = f->data_len;
	int i, code = 0;

	if (len < 3)
		return -EBADMSG;
	for (i = 0; i < 3; i++) {
		if (d[i] < '0' || d[i] > '9')
			return -EBADMSG;
		code = code * 10 + (d[i] - '0');
	}
	if (len > 3 && d[3] != ' ' && d[3] != '\n')
		return -EBADMSG;
	/* The text runs to the first LF, at most 80 bytes by the spec. */
	d += len > 3 && d[3] == ' ' ? 4 : 3;
	len = (size_t)(f->data + f->data_len - d);
	lf = memchr(d, '\n', len);
	*ret_text = d;
	*ret_text_len = lf != NULL ? (size_t)(lf - d) : len;
	return code;
}

int
mml_fwd_relp_offers_syslog(const struct mml_fwd_relp_frame *f)
{
	const uint8_t *p = f->data, *end = f->data + f->data_len, *eol, *v;
	const uint8_t *comma;

	/* Offers follow the status line, one "name=value" a line. */
	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		if (eol - p > 9 && memcmp(p, "commands=", 9) == 0) {
			/* A comma-separated list. */
			for (v = p + 9; v < eol; v = comma + 1) {
				comma = memchr(v, ',', (size_t)(eol - v));
				if (comma == NULL)
					comma = eol;
				if (comma - v == 6 && memcmp(v, "syslog", 6) == 0)
					return 1;
			}
		}
		if (eol == end)
			break;
		p = eol + 1;
	}
	return 0;
}
