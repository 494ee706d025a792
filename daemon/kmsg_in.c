/*
 * kmsg_in.c: the kernel log (kmsg_in.h).
 *
 * One read() of /dev/kmsg is one record, numbered by the kernel.  The
 * number of the next record expected is kept in a small mapped file
 * beside the socket, as journald keeps its kernel-seqnum: a store into
 * the map per record, no system call, and it survives the daemon (the
 * page cache keeps it), so that after a restart, a crash included, the
 * records already stored are skipped.  It holds the boot id too: another
 * boot's number means nothing, and a state of no boot or another one
 * means the first start in this boot, which expects record 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "intake.h"
#include "kmsg.h"
#include "kmsg_in.h"
#include "log.h"
#include "macro.h"
#include "ring.h"

/* Records per wakeup, and at shutdown. */
#define PER_WAKEUP	64
#define DRAIN_MAX	65536
/* Above the kernel's largest record (CONSOLE_EXT_LOG_MAX, 8 KiB). */
#define REC_MAX		16384

#define STATE_MAGIC	"MMLKMSG1"

/* The state file, little-endian, 32 bytes. */
struct kmsg_state {
	char		 magic[8];	/* STATE_MAGIC */
	uint8_t		 boot_id[16];	/* the boot next_seq belongs to */
	uint64_t	 next_seq;	/* the next record expected */
};
_Static_assert(sizeof(struct kmsg_state) == 32, "kmsg state size");

struct mml_kmsg_in {
	struct ev_loop		*loop;
	struct mml_intake	*in;
	int			 fd;
	ev_io			 io;
	struct kmsg_state	*state;		/* mapped; NULL: none */
	uint64_t		 next;		/* the next record expected */
	int			 have_next;	/* next means something */
	uint8_t			 rec[REC_MAX];
	uint8_t			 fields[MML_KMSG_FIELDS_CAP(REC_MAX)];
};

static void	kmsg_read_cb(struct ev_loop *, ev_io *, int);
static int	kmsg_read(struct mml_kmsg_in *, int);
static void	kmsg_record(struct mml_kmsg_in *, size_t);
static void	kmsg_missed(struct mml_kmsg_in *, uint64_t, uint64_t);
static struct kmsg_state *state_open(const char *);

int
mml_kmsg_open(void)
{
	int fd;

	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return mml_log_errno(errno, "open /dev/kmsg (reading the kernel "
		    "log needs CAP_SYSLOG while kernel.dmesg_restrict is 1)");
	return fd;
}

/*
 * The state file at path, mapped, initialised if new or not ours.
 * NULL (logged) if it cannot be had: nothing is remembered then.
 */
static struct kmsg_state *
state_open(const char *path)
{
	struct kmsg_state *st = MAP_FAILED;
	struct stat sb;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    (sb.st_size != sizeof(*st) && ftruncate(fd, sizeof(*st)) < 0))
		goto out;
	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE, MAP_SHARED, fd,
	    0);
out:
	if (st == MAP_FAILED)
		mml_log(LOG_WARNING, "kernel log: state file '%s': %s; records "
		    "still in the kernel's buffer will be stored again after a "
		    "restart", path, strerror(errno));
	if (fd >= 0)
		(void)close(fd);
	return st == MAP_FAILED ? NULL : st;
}

struct mml_kmsg_in *
mml_kmsg_in_new(struct ev_loop *loop, struct mml_intake *in, int fd,
    const char *state_path)
{
	struct mml_kmsg_in *k;
	uint8_t boot[16];

	k = calloc(1, sizeof(*k));
	if (k == NULL)
		return NULL;
	k->loop = loop;
	k->in = in;
	k->fd = fd;
	if (state_path != NULL)
		k->state = state_open(state_path);
	mml_boot_id(boot);
	if (k->state != NULL) {
		if (memcmp(k->state->magic, STATE_MAGIC, 8) == 0 &&
		    memcmp(k->state->boot_id, boot, 16) == 0) {
			k->next = k->state->next_seq;
			k->have_next = 1;
			mml_log(LOG_INFO, "kernel log: records below %llu were "
			    "stored before", (unsigned long long)k->next);
		} else {
			memset(k->state, 0, sizeof(*k->state));
			memcpy(k->state->boot_id, boot, 16);
			memcpy(k->state->magic, STATE_MAGIC, 8);
			/*
			 * The first start in this boot: the kernel numbers
			 * from 0, so records it no longer holds (overwritten
			 * before we came) are a loss to note, as journald's
			 * "Missed N kernel messages" at its first start.
			 * Without a state file nothing can be said: a daemon
			 * before us may have stored them.
			 */
			k->next = 0;
			k->have_next = 1;
		}
	}
	ev_io_init(&k->io, kmsg_read_cb, fd, EV_READ);
	ev_io_start(loop, &k->io);
	return k;
}

struct mml_kmsg_in *
mml_kmsg_in_free(struct mml_kmsg_in *k)
{
	if (k == NULL)
		return NULL;
	ev_io_stop(k->loop, &k->io);
	if (k->state != NULL)
		(void)munmap(k->state, sizeof(*k->state));
	free(k);
	return NULL;
}

void
mml_kmsg_in_drain(struct mml_kmsg_in *k)
{
	ev_io_stop(k->loop, &k->io);
	(void)kmsg_read(k, DRAIN_MAX);
}

static void
kmsg_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mml_kmsg_in *k = container_of(w, struct mml_kmsg_in, io);

	(void)loop;
	(void)revents;
	(void)kmsg_read(k, PER_WAKEUP);
}

/* Up to max records.  Returns 1 if more may wait, 0 once none does. */
static int
kmsg_read(struct mml_kmsg_in *k, int max)
{
	struct mml_intake_counts *c = mml_intake_counts(k->in,
	    MML_TRANSPORT_KERNEL);
	ssize_t n;
	int i;

	for (i = 0; i < max; i++) {
		n = read(k->fd, k->rec, sizeof(k->rec));
		if (n < 0) {
			/*
			 * EPIPE: the kernel overwrote records before we read
			 * them; the next read gives the oldest it still has,
			 * and the jump in numbers says how many are gone.
			 */
			if (errno == EINTR || errno == EPIPE)
				continue;
			if (errno == EAGAIN)
				return 0;
			c->errors++;
			if (mml_intake_warn_ok(k->in))
				mml_log(LOG_WARNING, "kernel log: read: %s; "
				    "trying again at the next wakeup",
				    strerror(errno));
			return 0;
		}
		if (n == 0)
			return 0;
		mml_intake_clock(k->in);
		c->bytes += (size_t)n;
		kmsg_record(k, (size_t)n);
	}
	return 1;
}

/* Records the loss of the records numbered [from, to). */
static void
kmsg_missed(struct mml_kmsg_in *k, uint64_t from, uint64_t to)
{
	char msg[200];
	int n;

	mml_intake_counts(k->in, MML_TRANSPORT_KERNEL)->lost += to - from;
	n = snprintf(msg, sizeof(msg), "kernel log: %llu records (seq %llu.."
	    "%llu) were overwritten in the kernel's buffer before mmlogd read "
	    "them", (unsigned long long)(to - from), (unsigned long long)from,
	    (unsigned long long)(to - 1));
	(void)mml_intake_note(k->in, MML_TRANSPORT_KERNEL, NULL, msg,
	    (size_t)n, "MMLOG_KMSG_MISSED", to - from);
	mml_log(LOG_WARNING, "%.*s", n, msg);
}

/* One record of len bytes in k->rec. */
static void
kmsg_record(struct mml_kmsg_in *k, size_t len)
{
	static const struct mml_sender kernel;
	struct mml_ent e;
	uint64_t seq, usec;

	mml_ent_init(&e, k->fields, sizeof(k->fields));
	if (mml_kmsg_parse(k->rec, len, &e, &seq, &usec) < 0) {
		mml_intake_counts(k->in, MML_TRANSPORT_KERNEL)->errors++;
		if (mml_intake_warn_ok(k->in))
			mml_log(LOG_WARNING, "kernel log: a record of %zu bytes "
			    "does not parse, dropping it", len);
		return;
	}
	if (k->have_next && seq < k->next)
		return;		/* stored before a restart */
	if (k->have_next && seq > k->next)
		kmsg_missed(k, k->next, seq);
	(void)mml_intake_submit(k->in, MML_TRANSPORT_KERNEL, &kernel, &e, NULL,
	    0, NULL);
	k->next = seq + 1;
	k->have_next = 1;
	if (k->state != NULL)
		k->state->next_seq = k->next;
}
