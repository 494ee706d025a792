/*
 * fwd.h: interfaces private to mmlog-forward, shared by its three
 * modules: the RFC 5424 formatter (msg.c), the transports to the
 * collector (out.c) and the program with its loop and cursor (main.c).
 */
#ifndef MML_FWD_H
#define MML_FWD_H

#include <stddef.h>
#include <stdint.h>

#include "disk.h"

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
	char		 sd_id[MML_FWD_SD_NAME_MAX + 1];
	char		 ring_hex[33];	/* the ring's id, 32 hex digits */
	int		 facility;	/* 0..23 */
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
 * message goes as it is.  Returns the length, or -ENOMEM.
 */
int	mml_fwd_msg_format(struct mml_fwd_buf *b,
	    const struct mml_fwd_msg_ctx *c, const struct mml_rec *rec);

/*
 * Replaces b's content with a message about n entries from seq first
 * that were lost before they could be forwarded (damaged: 0 overwritten
 * by the ring, 1 skipped as damaged), sent by pid at now_usec.
 * Returns the length, or -ENOMEM.
 */
int	mml_fwd_msg_lost(struct mml_fwd_buf *b,
	    const struct mml_fwd_msg_ctx *c, uint64_t first, uint64_t n,
	    int damaged, uint32_t pid, uint64_t now_usec);

/*
 * Writes the SD-PARAM value escape of p[0, len) to out, which must have
 * room for 3 * len bytes.  Returns the bytes written.
 */
size_t	mml_fwd_sd_escape(uint8_t *out, const uint8_t *p, size_t len);

/* Transports. */
enum mml_fwd_proto {
	MML_FWD_RELP,		/* relp://HOST:PORT, acknowledged */
	MML_FWD_RELP_TLS,	/* relp+tls://HOST:PORT */
	MML_FWD_TCP,		/* tcp://HOST:PORT, RFC 6587 octet counting */
};

/* Where to send, and how. */
struct mml_fwd_dest {
	enum mml_fwd_proto proto;
	char		 host[256];
	char		 port[16];
	int		 window;	/* RELP window (frames), >= 2 */
	unsigned	 timeout_s;	/* RELP: waiting for an answer */
	unsigned	 conn_timeout_s; /* connecting */
	const char	*ca;		/* TLS: CA certificate file */
	const char	*cert;		/* TLS: our certificate */
	const char	*key;		/* TLS: our private key */
	const char	*auth;		/* TLS: librelp auth mode, or NULL */
	const char	*peer;		/* TLS: permitted peer, or NULL */
	int		 debug;		/* librelp's debug output to stderr */
};

/*
 * Parses "relp://HOST:PORT", "relp+tls://HOST:PORT" or "tcp://HOST:PORT"
 * (HOST may be "[v6 address]") into d's proto, host and port.  Returns
 * 0 or -EINVAL.
 */
int	mml_fwd_dest_parse(const char *url, struct mml_fwd_dest *d);

struct mml_fwd_out;

/*
 * A transport to d (which must outlive it), not yet connected.  stop
 * points to a flag that, once set (by a signal handler), makes every
 * wait inside the transport end early.  Returns NULL only for ENOMEM;
 * an unusable setting shows at connect.
 */
struct mml_fwd_out *mml_fwd_out_new(const struct mml_fwd_dest *d, int *stop);

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
 * Sends one message.  Returns 0 once the message is handed over, or
 * -errno when the session failed; the session is then closed and
 * nothing after mml_fwd_out_confirmed() is known to have arrived.
 */
int	mml_fwd_out_send(struct mml_fwd_out *o, const uint8_t *msg,
	    size_t len);

/*
 * Makes sure that every message sent in this session arrived: RELP
 * closes the session, whose answer the collector sends only after the
 * answers to every earlier frame; TCP writes out what it buffered.
 * Returns 0 (everything confirmed) or -errno (the session failed and is
 * closed).
 */
int	mml_fwd_out_flush(struct mml_fwd_out *o);

/*
 * How many of this session's messages, counted from its first, the
 * collector is known to have: RELP, every one but the newest `window`
 * (librelp sends a frame only while fewer than `window` are
 * unanswered, and the collector answers in order), and all of them
 * after a flush; TCP, what the kernel took.
 */
uint64_t mml_fwd_out_confirmed(const struct mml_fwd_out *o);

/* Closes the session without confirming anything more. */
void	mml_fwd_out_abort(struct mml_fwd_out *o);

/* The last error, for the log; "" if none. */
const char *mml_fwd_out_error(const struct mml_fwd_out *o);

#endif /* MML_FWD_H */
