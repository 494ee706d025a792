/*
 * fuzz_relp.c: RELP's frames as mmlog-forward reads them from a
 * collector (client/forward/relp.c), the one part of the forwarder that
 * parses bytes from the network itself.
 *
 * Input: what a RELP server sends on a session, taken frame after frame
 * from a copy of exactly its size (ASan sees any byte beyond), as
 * out.c's relp_answers() takes them.  What must hold for each frame:
 *
 *   - mml_fwd_relp_parse() takes at most what remains, ending with the
 *     trailer LF; TXNR at most 999999999; the command 1 to 32 letters;
 *     the data inside the frame, at most MML_FWD_RELP_DATA_MAX bytes,
 *     just before the trailer;
 *   - the frame alone, copied to a buffer of its size, parses the same;
 *     cut short by one byte, or to half, it needs more (0), never gives
 *     another frame;
 *   - mml_fwd_relp_rsp_code() gives -EBADMSG or 0..999 with its text
 *     inside the data; mml_fwd_relp_offers_syslog() gives 0 or 1.
 *
 * The walk ends at the first frame that is not complete (0) or not RELP
 * (-EBADMSG), as the forwarder's does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fwd.h"

static void
check_frame(const uint8_t *p, size_t len, int r,
    const struct mml_fwd_relp_frame *f)
{
	struct mml_fwd_relp_frame g;
	const uint8_t *text;
	size_t i, text_len;
	uint8_t *copy;
	int code;

	FUZZ_CHECK(r > 0 && (size_t)r <= len);
	FUZZ_CHECK(p[r - 1] == '\n');
	FUZZ_CHECK(f->txnr <= MML_FWD_RELP_TXNR_MAX);
	FUZZ_CHECK(strlen(f->cmd) >= 1 &&
	    strlen(f->cmd) <= MML_FWD_RELP_CMD_MAX);
	for (i = 0; f->cmd[i] != '\0'; i++)
		FUZZ_CHECK((f->cmd[i] >= 'a' && f->cmd[i] <= 'z') ||
		    (f->cmd[i] >= 'A' && f->cmd[i] <= 'Z'));
	FUZZ_CHECK(f->data_len <= MML_FWD_RELP_DATA_MAX);
	FUZZ_CHECK(f->data >= p && f->data + f->data_len == p + r - 1);

	/* The frame alone: the same; cut short: more needed. */
	copy = malloc((size_t)r);
	FUZZ_CHECK(copy != NULL);
	memcpy(copy, p, (size_t)r);
	FUZZ_CHECK(mml_fwd_relp_parse(copy, (size_t)r, &g) == r);
	FUZZ_CHECK(g.txnr == f->txnr && strcmp(g.cmd, f->cmd) == 0 &&
	    g.data_len == f->data_len &&
	    memcmp(g.data, f->data, f->data_len) == 0);
	FUZZ_CHECK(mml_fwd_relp_parse(copy, (size_t)r - 1, &g) == 0);
	FUZZ_CHECK(mml_fwd_relp_parse(copy, (size_t)r / 2, &g) == 0);
	free(copy);

	code = mml_fwd_relp_rsp_code(f, &text, &text_len);
	FUZZ_CHECK(code == -EBADMSG || (code >= 0 && code <= 999));
	if (code >= 0)
		FUZZ_CHECK(text >= f->data && text_len <= f->data_len &&
		    text + text_len <= f->data + f->data_len);
	code = mml_fwd_relp_offers_syslog(f);
	FUZZ_CHECK(code == 0 || code == 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mml_fwd_relp_frame f;
	uint8_t *in;
	size_t off = 0;
	int r;

	in = malloc(size > 0 ? size : 1);
	FUZZ_CHECK(in != NULL);
	if (size > 0)
		memcpy(in, data, size);
	while (off < size) {
		r = mml_fwd_relp_parse(in + off, size - off, &f);
		FUZZ_CHECK(r == 0 || r == -EBADMSG || r > 0);
		if (r <= 0)
			break;
		check_frame(in + off, size - off, r, &f);
		off += (size_t)r;
	}
	free(in);
	return 0;
}
