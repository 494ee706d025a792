/*
 * fwd.h: interfaces private to mmlog-forward, shared by its three
 * modules: the RFC 5424 formatter and the destination URL (msg.c), the
 * transports to the collector (out.c: RELP, RELP+TLS, TCP, and HTTP(S)
 * to systemd-journal-remote) and the program with its loop and cursor
 * (main.c).  The Journal Export Format that HTTP carries is written by
 * client/ringread/format.c, as `mmlogctl show -o export` writes it.
 */
#ifndef MML_FWD_H
#define MML_FWD_H

#include <stddef.h>
#include <stdint.h>

#include "disk.h"

#define MML_FWD_VERSION		"0.1.0"

/*
 * The SD-IDs of our structured data.  32473 is the private enterprise
 * number RFC 5612 reserves for documentation; a site that wants its own
 * registered number sets it with --sd-id.
 */
#define MML_FWD_SD_ID		"mmlog@32473"
#define MML_FWD_SD_LOST_ID	"mmlogLost@32473"

/* RFC 5424 limits. */
#define MML_FWD_HOST_MAX	255
#define MML_FWD_APP_MAX		48
#define MML_FWD_SD_NAME_MAX	32

/* A growable byte buffer. */
struct mml_fwd_buf {
	uint8_t		*p;
	size_t		 len;
	size_t		 cap;
};

/* Makes room for n more bytes.  Returns 0 or -ENOMEM. */
int	mml_fwd_buf_reserve(struct mml_fwd_buf *b, size_t n);

/* Frees the buffer's memory; it may be used again. */
void	mml_fwd_buf_free(struct mml_fwd_buf *b);

/* What every message of one forwarder has in common. */
struct mml_fwd_msg_ctx {
	char		 host[MML_FWD_HOST_MAX + 1];	/* RFC 5424 HOSTNAME */
	size_t		 host_len;
	char		 sd_id[MML_FWD_SD_NAME_MAX + 1];
	size_t		 sd_id_len;
	char		 ring_hex[33];	/* the ring's id, 32 hex digits */
	int		 facility;	/* 0..23 */
	/* The TIMESTAMP up to the second, of time_sec, if time_ok. */
	int		 time_ok;
	uint64_t	 time_sec;
	char		 time_str[20];
};

/* Why entries were not forwarded, as loss notices name it (reason=). */
enum mml_fwd_loss {
	MML_FWD_LOSS_OVERWRITTEN,	/* the ring overwrote them first */
	MML_FWD_LOSS_DAMAGED,		/* damaged in the ring */
	MML_FWD_LOSS_REFUSED,		/* the collector refused them */
};

/*
 * Fills c: the host name (made of PRINTUSASCII, "-" if empty) from host
 * or, if NULL, gethostname(); the ring id; the facility.  Returns 0, or
 * -EINVAL if host or sd_id is not a valid RFC 5424 name.
 */
int	mml_fwd_msg_ctx_init(struct mml_fwd_msg_ctx *c, const char *host,
	    const char *sd_id, const uint8_t ring_id[16], int facility);

/*
 * Replaces b's content with the RFC 5424 message for one checked entry
 * record (no framing, no trailing newline):
 *
 *   <PRI>1 TIMESTAMP HOST APP-NAME PROCID - [SD-ID seq="" ring=""
 *   pid="" uid="" gid="" comm="" KEY="value"...] MESSAGE
 *
 * APP-NAME is the tag, PROCID the sender's pid.  Field keys of up to 32
 * bytes are PARAM-NAMEs; a longer key goes whole as field="KEY=value".
 * Values are escaped as RFC 5424 section 6.3.3 says ('"', '\' and ']'
 * get a backslash) and bytes that are not UTF-8 become U+FFFD.  The
 * message goes as it is.  c caches the time of the last message.
 * Returns the length, or -ENOMEM.
 */
int	mml_fwd_msg_format(struct mml_fwd_buf *b, struct mml_fwd_msg_ctx *c,
	    const struct mml_rec *rec);

/*
 * Replaces b's content with a message about n entries from seq first
 * that were not forwarded (why: overwritten by the ring, damaged in it,
 * or refused by the collector), sent by pid at now_usec.  Returns the
 * length, or -ENOMEM.
 */
int	mml_fwd_msg_lost(struct mml_fwd_buf *b, struct mml_fwd_msg_ctx *c,
	    uint64_t first, uint64_t n, enum mml_fwd_loss why, uint32_t pid,
	    uint64_t now_usec);

/*
 * The same notice as an entry, for the Journal Export Format: fills
 * *ret with a record whose pointers point into buf (cap bytes, at least
 * MML_FWD_LOST_REC_MAX): priority warning, tag and command
 * "mmlog-forward", the message of mml_fwd_msg_lost(), and the fields
 * MMLOG_LOST_FIRST, MMLOG_LOST_COUNT, MMLOG_LOST_REASON and MMLOG_RING.
 * Its seq is first; pid, uid and gid are the forwarder's.  Returns 0, or
 * -EINVAL for a bad why or a small buffer.
 */
#define MML_FWD_LOST_REC_MAX	1024
int	mml_fwd_msg_lost_rec(struct mml_rec *ret, uint8_t *buf, size_t cap,
	    const struct mml_fwd_msg_ctx *c, uint64_t first, uint64_t n,
	    enum mml_fwd_loss why, uint64_t now_usec, uint64_t mono_usec);

/*
 * Writes the SD-PARAM value escape of p[0, len) to out, which must have
 * room for 3 * len bytes.  Returns the bytes written.
 */
size_t	mml_fwd_sd_escape(uint8_t *out, const uint8_t *p, size_t len);

/*
 * RELP's frames (relp.c).  A frame's header, "TXNR COMMAND DATALEN ",
 * is at most MML_FWD_RELP_HDR_MAX bytes.
 */
#define MML_FWD_RELP_TXNR_MAX	999999999u
#define MML_FWD_RELP_CMD_MAX	32
#define MML_FWD_RELP_DATA_MAX	(128u * 1024)	/* of an answer */
#define MML_FWD_RELP_HDR_MAX	(9 + 1 + MML_FWD_RELP_CMD_MAX + 1 + 20 + 1)

/* A frame received: pointers into the bytes parsed. */
struct mml_fwd_relp_frame {
	uint32_t	 txnr;
	char		 cmd[MML_FWD_RELP_CMD_MAX + 1];
	const uint8_t	*data;
	size_t		 data_len;
};

/* The TXNR after txnr: 1..999999999, then 1 again. */
uint32_t mml_fwd_relp_txnr_next(uint32_t txnr);

/*
 * Writes the header of a frame with len bytes of data to out
 * (MML_FWD_RELP_HDR_MAX bytes): "TXNR CMD LEN " ("TXNR CMD 0" for no
 * data); the data and the trailer LF follow.  Returns its length.
 * Example: mml_fwd_relp_hdr(buf, 2, "syslog", 5) writes "2 syslog 5 ".
 */
size_t	mml_fwd_relp_hdr(char *out, uint32_t txnr, const char *cmd,
	    size_t len);

/*
 * Parses the frame at the start of p[0, len).  Returns the bytes it
 * takes (> 0) with *ret filled, 0 if it is not complete yet, or
 * -EBADMSG if the bytes are not a frame (a TXNR or DATALEN of more than
 * 9 digits, a command of more than 32 letters, data longer than
 * MML_FWD_RELP_DATA_MAX, no trailer).
 * Example: "3 rsp 6 200 OK\n" gives txnr 3, "rsp", data "200 OK".
 */
int	mml_fwd_relp_parse(const uint8_t *p, size_t len,
	    struct mml_fwd_relp_frame *ret);

/*
 * The status of an "rsp" frame: its three-digit code, with the text
 * after it (to the first LF) in *ret_text.  Returns the code, or
 * -EBADMSG.
 */
int	mml_fwd_relp_rsp_code(const struct mml_fwd_relp_frame *f,
	    const uint8_t **ret_text, size_t *ret_text_len);

/* 1 if the answer to "open" offers the "syslog" command, else 0. */
int	mml_fwd_relp_offers_syslog(const struct mml_fwd_relp_frame *f);

/* Transports. */
enum mml_fwd_proto {
	MML_FWD_RELP,		/* relp://HOST:PORT, acknowledged */
	MML_FWD_RELP_TLS,	/* relp+tls://HOST:PORT */
	MML_FWD_TCP,		/* tcp://HOST:PORT, RFC 6587 octet counting */
	MML_FWD_HTTP,		/* http://HOST[:PORT][/PATH], journal-remote */
	MML_FWD_HTTPS,		/* https://HOST[:PORT][/PATH] */
};

/* systemd-journal-remote's port and path, as systemd-journal-upload's. */
#define MML_FWD_HTTP_PORT	"19532"
#define MML_FWD_HTTP_PATH	"/upload"
/* The largest body of one POST, whatever --window says. */
#define MML_FWD_HTTP_BODY_MAX	(4u << 20)

/* Where to send, and how. */
struct mml_fwd_dest {
	enum mml_fwd_proto proto;
	char		 host[256];
	char		 port[16];
	char		 path[256];	/* HTTP: the request's path */
	int		 window;	/* RELP frames or HTTP entries, >= 2 */
	unsigned	 timeout_s;	/* waiting for an answer */
	unsigned	 conn_timeout_s; /* connecting */
	const char	*ca;		/* TLS: CA certificate file */
	const char	*cert;		/* TLS: our certificate */
	const char	*key;		/* TLS: our private key */
	const char	*auth;		/* RELP+TLS: name, fingerprint, certvalid */
	const char	*peer;		/* RELP+TLS: permitted peer, or NULL */
	int		 debug;		/* libcurl's debug output */
};

/*
 * Parses "relp://HOST:PORT", "relp+tls://HOST:PORT", "tcp://HOST:PORT",
 * "http://HOST[:PORT][/PATH]" or "https://HOST[:PORT][/PATH]" (HOST may
 * be "[v6 address]"; HTTP's port defaults to MML_FWD_HTTP_PORT, its
 * path to MML_FWD_HTTP_PATH) into d's proto, host, port and path.
 * Returns 0 or -EINVAL.
 */
int	mml_fwd_dest_parse(const char *url, struct mml_fwd_dest *d);

/* 1 if the transport is acknowledged by the collector (not TCP). */
int	mml_fwd_dest_acked(const struct mml_fwd_dest *d);

struct mml_fwd_out;

/*
 * A transport to d (which must outlive it), not yet connected.  stop
 * points to a flag that, once set (by a signal handler), makes every
 * wait inside the transport end early.  Returns NULL only for ENOMEM;
 * an unusable setting shows at connect.
 */
struct mml_fwd_out *mml_fwd_out_new(const struct mml_fwd_dest *d, int *stop);

/*
 * fn(arg) runs whenever a RELP or HTTP session is about to wait for
 * the collector's answers, and again at least every
 * period_ms (if > 0) while it waits: the forwarder takes what was
 * confirmed meanwhile and writes its cursor, so that a wait as long as
 * a stopped collector's never keeps confirmed entries off the disk.
 * fn must not send, flush, poll or close on o.
 */
void	mml_fwd_out_on_wait(struct mml_fwd_out *o, void (*fn)(void *),
	    void *arg, int period_ms);

/* Aborts any session and frees; accepts NULL and returns NULL. */
struct mml_fwd_out *mml_fwd_out_free(struct mml_fwd_out *o);

/*
 * Opens a session.  Returns 0, or -errno with mml_fwd_out_error()
 * saying why.  A new session starts counting at 0 (below).
 */
int	mml_fwd_out_connect(struct mml_fwd_out *o);

/* 1 while a session is open. */
int	mml_fwd_out_connected(const struct mml_fwd_out *o);

/*
 * Sends one message: RELP a frame, TCP a framed message, HTTP an
 * entry in the Journal Export Format that goes with the next POST (at
 * `window` entries or MML_FWD_HTTP_BODY_MAX bytes, or at a flush).
 * Returns 0 once the message is handed over, or -errno when the session
 * failed; the session is then closed and nothing after
 * mml_fwd_out_confirmed() is known to have arrived.
 */
int	mml_fwd_out_send(struct mml_fwd_out *o, const uint8_t *msg,
	    size_t len);

/*
 * Makes sure that every message sent in this session arrived: RELP
 * waits for the answer to every frame; HTTP posts what is waiting and
 * reads the answer; TCP writes out what it buffered.  The session stays
 * open.  Returns 0 (everything confirmed) or -errno (the session failed
 * and is closed).
 */
int	mml_fwd_out_flush(struct mml_fwd_out *o);

/*
 * Pushes out what waits, without blocking, and takes the answers that
 * came: RELP writes its frames and reads the answers; HTTP posts the
 * batch if no POST is out, and moves the one out along; TCP writes out
 * its buffer.  Called when the forwarder has caught up, so that a
 * message never waits for a batch to fill.  Returns 0, or -errno (the
 * session failed and is closed).
 */
int	mml_fwd_out_poll(struct mml_fwd_out *o);

/*
 * Ends the session once every message is confirmed: RELP waits for
 * every answer, then sends "close" and waits for its answer; HTTP and
 * TCP flush and keep their connection.  Returns 0 (everything
 * confirmed) or -errno (the session failed and is closed).
 */
int	mml_fwd_out_close(struct mml_fwd_out *o);

/*
 * How many of this session's messages, counted from its first, the
 * collector is known to have: RELP, those answered "200" (the answers
 * come in order); HTTP, those of every POST answered 2xx; TCP, what
 * the kernel took.
 */
uint64_t mml_fwd_out_confirmed(const struct mml_fwd_out *o);

/* How the last session failed. */
enum mml_fwd_fail {
	MML_FWD_FAIL_NONE,
	MML_FWD_FAIL_CONNECT,	/* the collector could not be reached */
	MML_FWD_FAIL_REFUSED,	/* it answered with an error: RELP's rsp
				   other than 200, HTTP 4xx or 5xx */
	MML_FWD_FAIL_DROPPED,	/* it closed or reset the session */
	MML_FWD_FAIL_OTHER,	/* a timeout, a local error */
};

/*
 * Why the last failed call failed.  REFUSED and DROPPED happen after
 * the collector took the connection: what was sent may be the cause.
 * HTTP's 408, 429 and 503 (busy, not the content's fault) count as
 * OTHER.
 */
enum mml_fwd_fail mml_fwd_out_failure(const struct mml_fwd_out *o);

/* Closes the session without confirming anything more. */
void	mml_fwd_out_abort(struct mml_fwd_out *o);

/* The last error, for the log; "" if none. */
const char *mml_fwd_out_error(const struct mml_fwd_out *o);

#endif /* MML_FWD_H */
