/*
 * control.c: mmlogctl clear, rotate-id and reset-counters: one control
 * request each to the daemon, which allows it to uid 0 and its own uid
 * only (SO_PEERCRED).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "wire.h"

static int	 control(const struct mml_ctl_opts *, uint8_t,
		    struct mml_ack_body *);

/*
 * Sends the request of type and waits for the daemon's ACK, in *ret.
 * Returns 0, or -1 after saying why not.
 */
static int
control(const struct mml_ctl_opts *o, uint8_t type,
    struct mml_ack_body *ret)
{
	const uint8_t *body;
	uint8_t buf[512];
	char why[256];
	size_t len;

	if (mml_ctl_daemon_request(o->socket, type, buf, sizeof(buf), &body,
	    &len, why, sizeof(why)) < 0) {
		mml_ctl_msg("%s: %s: %s", o->cmd->name, o->socket, why);
		return -1;
	}
	memcpy(ret, body, sizeof(*ret));
	return 0;
}

int
mml_ctl_clear(const struct mml_ctl_opts *o)
{
	struct mml_ack_body ack;

	if (control(o, MML_FRAME_CLEAR, &ack) < 0)
		return EXIT_FAILURE;
	printf("ring cleared; numbering goes on at seq %" PRIu64 "\n",
	    ack.next_seq);
	return EXIT_SUCCESS;
}

int
mml_ctl_rotate_id(const struct mml_ctl_opts *o)
{
	struct mml_ack_body ack;
	struct mml_rd_ring *r;
	enum mml_disk_reason dr;
	char hex[33];

	if (control(o, MML_FRAME_ROTATE_ID, &ack) < 0)
		return EXIT_FAILURE;
	/* The new id, if the ring is ours to read. */
	if (mml_rd_ring_open(o->file, &r, &dr) == 0) {
		mml_rd_hex128(hex, r->ring_id);
		printf("ring id is now %s\n", hex);
		(void)mml_rd_ring_free(r);
	} else
		printf("ring id changed\n");
	return EXIT_SUCCESS;
}

int
mml_ctl_reset_counters(const struct mml_ctl_opts *o)
{
	struct mml_ack_body ack;

	if (control(o, MML_FRAME_RESET_COUNTERS, &ack) < 0)
		return EXIT_FAILURE;
	printf("counters reset\n");
	return EXIT_SUCCESS;
}
