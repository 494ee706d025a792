/*
 * ringread.h: the ring reader shared by mmlogctl and mmlog-forward:
 * opening and mapping a ring read-only (read.c), walking and seeking it,
 * cursors and the entry formats (format.c, cursor.c), following the ring
 * as it grows (follow.c).  Never writes the ring; never links the
 * daemon.
 */
#ifndef MML_RINGREAD_H
#define MML_RINGREAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "disk.h"
#include "tables.h"


/* "s=" 32 hex digits ";i=" up to 16 hex digits, NUL. */
#define MML_RD_CURSOR_MAX	64

/*
 * An open ring file, mapped read-only and shared, so that it shows what
 * the daemon writes as it writes it.  Only the header's static part,
 * checked once by mml_rd_ring_open(), is trusted; every dynamic field
 * is re-read with an atomic load each time it is used.
 */
struct mml_rd_ring {
	char		*path;
	uint8_t		*map;		/* header page, then the data region */
	size_t		 map_len;	/* MML_DISK_HEADER_SIZE + capacity */
	const uint8_t	*data;		/* map + MML_DISK_HEADER_SIZE */
	uint64_t	 capacity;	/* bytes of data region */
	uint32_t	 crc_seed;	/* mml_disk_crc_seed(): 0 unkeyed (legacy) */
	uint8_t		 ring_id[16];
	dev_t		 dev;		/* identity of the file we mapped */
	ino_t		 ino;
	/* The seek index (FORMAT.md), NULL if the ring has none. */
	const struct mml_idx_slot *idx;
	uint64_t	 idx_slots;
	unsigned	 idx_shift;
	int		 idx_missing;	/* announced by the header, not in the file */
	uint64_t	 idx_damaged;	/* slots a seek found not to match */
	uint64_t	 idx_seeks;	/* seeks the index answered */
	uint64_t	 idx_partial;	/* seeks it could not: slots not in use */
	/*
	 * The metadata table (MML_INCOMPAT_META), NULL if the ring has none
	 * or the file does not hold it whole; what the reader found in each
	 * slot it checked (tables.c), and the fields of those verified
	 * lately.
	 */
	const uint8_t	*meta_table;
	uint32_t	 meta_slots;
	struct mml_rd_slot_seen *meta_seen;
	struct mml_rd_meta_slot *meta_cache;
	uint64_t	 meta_unavailable;	/* entries whose slot did not hold their fields */
	/*
	 * The boot table (MML_COMPAT_BOOTS) as last copied, oldest first,
	 * and head_seq before the copy: an entry at or past it may be of a
	 * boot written since (mml_rd_boot_of() copies again).
	 */
	int		 has_boots;
	struct mml_boot	 boots[MML_BOOT_MAX];
	size_t		 n_boots;
	uint64_t	 boots_head;
	/* Whether a writer holds the ring's lock (mml_rd_ring_writer()). */
	int		 writer;
	uint64_t	 writer_ms;	/* when that was asked, CLOCK_MONOTONIC */
};

/*
 * Opens and maps the ring at path.  Returns 0 and stores the ring in
 * *ret; or -errno from the system (-ENOENT, -EACCES, -EISDIR, -ENODEV
 * for something that is not a regular file); or the error of
 * mml_disk_header_check() with *ret_reason saying why the file is not a
 * usable ring.  *ret_reason is MML_DISK_OK for system errors.
 */
int	mml_rd_ring_open(const char *path, struct mml_rd_ring **ret,
	    enum mml_disk_reason *ret_reason);

/*
 * Whether a writer (mmlogd) holds the ring's lock now, asked at most
 * every 100 ms: 1 or 0.  Readers pause for a writer caught between two
 * stores only if there is one, so that a damaged ring that no writer
 * holds costs no pauses.
 */
int	mml_rd_ring_writer(struct mml_rd_ring *r);

/* Unmaps and frees a ring; accepts NULL and returns NULL. */
struct mml_rd_ring *mml_rd_ring_free(struct mml_rd_ring *r);

/*
 * Copies the header, loading each dynamic field atomically.  The copy is
 * a snapshot: fields may come from different moments of the writer.
 */
void	mml_rd_ring_header(const struct mml_rd_ring *r,
	    struct mml_disk_header *ret);

/* Atomic loads of the dynamic header fields the reader polls. */
uint64_t mml_rd_ring_tail_seq(const struct mml_rd_ring *r);
uint64_t mml_rd_ring_head_seq(const struct mml_rd_ring *r);

/*
 * The trusted metadata of an entry (FORMAT.md, Metadata slots): rec is
 * a record of r that checked (mml_rd_iter_next() gives such).  The slot
 * its meta word names is copied and checked (CRC, generation, first
 * seq), then the tail re-read; what a check of a slot found (fields, or
 * damage) is used again while its header in the file is the same as
 * then, byte for byte.  Returns 1 with
 * its fields block in *ret_block, *ret_len (valid until the next call
 * on r); 0 if the entry names no slot (its metadata, if any, is in its
 * own fields block); -ESTALE if the slot no longer holds the entry's
 * fields (the entry was overwritten meanwhile, or a power loss kept the
 * entry but not its slot), counted in r->meta_unavailable.
 * Example:
 *
 *	if (mml_rd_meta(r, &rec, &b, &len) == 1)
 *		while (mml_fields_next(b, len, &off, &item, &il, &kl) > 0)
 *			...
 */
int	mml_rd_meta(struct mml_rd_ring *r, const struct mml_rec *rec,
	    const uint8_t **ret_block, size_t *ret_len);

/*
 * mml_rd_meta() for a caller that keeps what it derived from a slot's
 * fields, and so needs them only when the slot changes (match.c judges
 * a match once per slot, not once per entry).  rec is a checked entry
 * that names a slot (MML_REC_F_META).  A slot's content, as the reader
 * checked it, has a version: a number never given twice in the process,
 * whatever the ring, and kept while the slot's header in the file stays
 * the same (mml_rd_meta() answers from the same knowledge).  Returns 1
 * if the entry's fields are the slot's, with the version in
 * *ret_version and, if it is not known (the caller's last, or 0), the
 * fields in *ret_block, *ret_len (valid until the next call on r);
 * -ESTALE as mml_rd_meta(), counted as there; -EINVAL if rec names no
 * slot.
 * Example:
 *
 *	if (mml_rd_meta_version(r, &rec, seen, &v, &b, &len) == 1) {
 *		if (v != seen)
 *			derive(b, len), seen = v;
 *		use what was derived;
 *	}
 */
int	mml_rd_meta_version(struct mml_rd_ring *r, const struct mml_rec *rec,
	    uint64_t known, uint64_t *ret_version, const uint8_t **ret_block,
	    size_t *ret_len);

/*
 * Copies the boot table again (r->boots, oldest first, r->n_boots).
 * Returns the number of boots, 0 for a ring without the table.
 */
size_t	mml_rd_boots_load(struct mml_rd_ring *r);

/*
 * The boot of the entry numbered seq: its index in r->boots (copied
 * again if seq is at or past r->boots_head), or -1 if it is older than
 * every boot the table names (or the ring has no table).
 */
int	mml_rd_boot_of(struct mml_rd_ring *r, uint64_t seq);

/*
 * A boot that still has entries in the ring, as --list-boots shows it
 * and -b selects it: the entries numbered [first_seq, end_seq).
 */
struct mml_rd_boot_span {
	uint8_t		 boot_id[16];
	uint64_t	 first_seq;	/* its oldest entry still in the ring */
	uint64_t	 end_seq;	/* the next boot's first seq; UINT64_MAX
					   for the newest boot, which goes on */
	int		 whole;		/* first_seq is the boot's first entry */
	uint64_t	 first_realtime; /* the boot's first entry's times, */
	uint64_t	 first_monotonic; /* from the table (even if not whole) */
};

/*
 * The boots that have entries in the ring now (none overwritten
 * entirely, none whose first entry is not written yet), oldest first,
 * from a fresh copy of the boot table; no record is read.  Returns how
 * many, 0 for a ring without the table.
 */
size_t	mml_rd_boot_spans(struct mml_rd_ring *r,
	    struct mml_rd_boot_span ret[MML_BOOT_MAX]);

/* What a check of every metadata slot found (mml_rd_meta_report()). */
struct mml_rd_meta_report {
	uint32_t	 slots;		/* 0: the ring has no table */
	uint32_t	 written;	/* holding a sender's fields */
	uint32_t	 damaged;	/* not checking: their entries show none */
};

/* Copies and checks every slot of r's metadata table. */
void	mml_rd_meta_report(struct mml_rd_ring *r,
	    struct mml_rd_meta_report *ret);

/*
 * Returns 1 if the ring should be reopened: its path now names another
 * file, the header in our mapping no longer checks, or it names another
 * ring; 0 if not.  A missing path counts as not changed, since a daemon
 * re-creating the file leaves a moment without one.
 */
int	mml_rd_ring_replaced(const struct mml_rd_ring *r);

/*
 * SIGBUS protection.  If the file shrinks underneath a mapping, a read
 * of the lost part raises SIGBUS; the handler replaces the page with
 * zeros, which no check accepts, and remembers that it happened.
 * mml_rd_sigbus_install() is called once; mml_rd_sigbus_hit() returns
 * 1 (and forgets) if a fault was absorbed since the last call.
 */
void	mml_rd_sigbus_install(void);
int	mml_rd_sigbus_hit(void);

/* How an iterator looks at records. */
enum mml_rd_mode {
	MML_RD_QUICK,	/* headers only, on the live map: fastest */
	MML_RD_CHECK,	/* headers and CRC, on the live map */
	MML_RD_COPY,	/* copy, CRC-check the copy, re-check the tail */
};

/* What mml_rd_iter_next() found. */
enum mml_rd_step {
	MML_RD_END = 0,	/* no further record (for now) */
	MML_RD_ENTRY,		/* an entry */
	MML_RD_LOST,		/* entries overwritten before we read them */
	MML_RD_CORRUPT,	/* entries skipped past a damaged record */
	MML_RD_WRAP,		/* a WRAP marker, if report_wraps is set */
	MML_RD_JUMP,		/* seqs the writer skipped, and said so */
};

/*
 * A walk along the chain of records, from the tail or from a remembered
 * position.  The writer may append, move the tail and overwrite while
 * the walk goes on; the iterator reports each such gap as a step.
 *
 * A break in the chain below the head is damage (MML_RD_CORRUPT: gap
 * seqs from gap_seq are lost, starting with the damaged record at
 * gap_off; gap is 0 when the damaged record held no entry, a WRAP
 * marker), unless the record at the break is the writer's own note of a
 * jump in numbering after an unclean shutdown, whose MMLOG_SEQ_GAP is
 * the size of the jump (MML_RD_JUMP: gap seqs from gap_seq were never
 * written; proto/FORMAT.md, Writing, rule 4).  Damage just before such a
 * note is reported as MML_RD_CORRUPT for the damaged seqs, then
 * MML_RD_JUMP for the announced ones.
 */
struct mml_rd_iter {
	struct mml_rd_ring *ring;
	enum mml_rd_mode mode;
	int		 report_wraps;	/* return WRAP markers as steps */
	uint64_t	 off;		/* next record to look at */
	uint64_t	 seq;		/* the seq it must carry */
	uint64_t	 wraps;		/* WRAP markers passed */
	uint64_t	 records;	/* records taken (entries and wraps) */
	/* Set by MML_RD_LOST, MML_RD_CORRUPT and MML_RD_JUMP. */
	uint64_t	 gap_seq;	/* first seq skipped */
	uint64_t	 gap;		/* number of seqs skipped */
	uint64_t	 gap_off;	/* CORRUPT, JUMP: where the chain broke */
	enum mml_disk_reason gap_reason;
	/* A jump announced at off, to be reported by the next step. */
	uint64_t	 pend_jump;
	/* Set by MML_RD_END: why the record at off was not taken. */
	enum mml_disk_reason end_reason;
	/* Pauses taken for a live writer: bounded (read.c, PAUSES_MAX). */
	uint32_t	 pauses;
	/*
	 * On an unkeyed ring not closed cleanly, entries past the durable
	 * cursor up to this seq are proven the writer's by their chain.
	 */
	uint64_t	 proven_seq;
	/* A resync that found nothing is not repeated for the same head. */
	uint64_t	 noresync_off;
	uint64_t	 noresync_seq;
	uint64_t	 noresync_head;
	/* MML_RD_COPY: the copy entries point into. */
	uint8_t		*buf;
	size_t		 buf_cap;
};

/*
 * Prepares an iterator, to be placed by mml_rd_iter_tail() or
 * mml_rd_iter_seek() before its first step.
 */
void	mml_rd_iter_init(struct mml_rd_iter *it, struct mml_rd_ring *r,
	    enum mml_rd_mode mode);

/* Frees the iterator's buffer; the iterator may be initialised again. */
void	mml_rd_iter_done(struct mml_rd_iter *it);

/*
 * Places the iterator at the oldest record, re-reading the header's
 * tail a few times if the writer is moving it at this instant.
 */
void	mml_rd_iter_tail(struct mml_rd_iter *it);

/*
 * Places the iterator at a record about n entries before the head,
 * found by bisection and proven by the chain that leads to it (a probe
 * alone could find a record forged inside a message).  Returns 1 if so
 * placed; 0 if placed at the tail instead, because the ring is small,
 * its header's hints do not add up, or no proven record was found.
 */
int	mml_rd_iter_seek_last(struct mml_rd_iter *it, uint64_t n);

/*
 * Both seeks ask the ring's seek index first: a bisection of its slots,
 * each proven by the record it names.  Without an index, or when a slot
 * the search met is damaged (the ring's idx_damaged counts them; the
 * caller warns), they fall back to bisecting the data region.
 */

/*
 * Places the iterator, by bisection as above, at a proven record before
 * which every entry has a seq below key (by_time == 0; the record's own
 * seq is at most key) or a realtime_usec below key (by_time != 0, on the
 * assumption that the clock did not go back; the record's own time is
 * below key).  Returns 1 if so placed, 0 if placed at the tail.
 */
int	mml_rd_iter_seek_key(struct mml_rd_iter *it, int by_time,
	    uint64_t key);

/* Places the iterator at a remembered position. */
void	mml_rd_iter_seek(struct mml_rd_iter *it, uint64_t off,
	    uint64_t seq);

/*
 * Takes the next step.  MML_RD_ENTRY (and MML_RD_WRAP) fill *ret: in
 * MML_RD_COPY mode its pointers point into the iterator's buffer and
 * stay valid until the next call; otherwise they point into the live
 * map, in bounds but possibly changing.  Returns an enum mml_rd_step,
 * or -ENOMEM.
 */
int	mml_rd_iter_next(struct mml_rd_iter *it, struct mml_rec *ret);

/*
 * Reads the entry seq remembered at off, as MML_RD_COPY does, into the
 * iterator's buffer.  Returns MML_RD_ENTRY; MML_RD_LOST if the writer
 * has overwritten it since; -EBADMSG (with it->gap_reason set) if it no
 * longer checks although it is still in the ring; or -ENOMEM.
 */
int	mml_rd_iter_read_at(struct mml_rd_iter *it, uint64_t off,
	    uint64_t seq, struct mml_rec *ret);

/*
 * Every field of an entry, one at a time (fields.c): the one way readers
 * see an entry as journald fields, for matches, -F, -N and the formats
 * that show every field, so that where a field is kept is known in one
 * place.  The order: with MML_RD_FIELDS_ADDRESS, first the entry's
 * address (__CURSOR, __REALTIME_TIMESTAMP, __MONOTONIC_TIMESTAMP,
 * __SEQNUM), which journalctl does not count among its fields (no match,
 * -F or -N sees them); then _BOOT_ID (the entry's own boot: the ring's
 * boot table, else its metadata, else, on a ring of the older format
 * without the table, the ring's last writer's), PRIORITY,
 * SYSLOG_IDENTIFIER, MESSAGE, _PID, _UID, _GID, _COMM, _MMLOG_DAEMON
 * (from the record's header and strings, when present); then the fields
 * block in its order (the client's fields and the daemon's own, such as
 * _TRANSPORT, SYSLOG_FACILITY, SYSLOG_PID, and the sender's trusted
 * metadata when it is stored inline), a field repeated as often as it is
 * there; then the sender's trusted metadata from the metadata slot the
 * entry names (mml_rd_meta(): _TRANSPORT, _HOSTNAME, _MACHINE_ID,
 * _SYSTEMD_UNIT, _EXE, _CMDLINE...).  A trusted field ("_" first) with
 * the same value as one already yielded is not yielded again.
 *
 *	struct mml_rd_fields fi;
 *	const char *k;
 *	const uint8_t *v;
 *	size_t kl, vl;
 *
 *	mml_rd_fields_begin(&fi, ring, &rec, 0);
 *	while (mml_rd_fields_next(&fi, &k, &kl, &v, &vl))
 *		printf("%.*s=%.*s\n", (int)kl, k, (int)vl, v);
 *
 * ring may be NULL (no __CURSOR, no _BOOT_ID, no metadata slot).  Keys
 * are valid journald names, not NUL-terminated; values are bytes.  Both
 * point into the record (which must stay), into fi, or into the ring's
 * copy of the entry's metadata slot, and stay valid until fi is begun
 * again and no other entry's fields of the same ring are walked, so that
 * a caller may gather an entry's fields before it prints them.
 */
#define MML_RD_FIELDS_ADDRESS	0x1U
#define MML_RD_FIELDS_FORMATTED	14	/* values fi formats itself */

/* What the iterator found of the entry's metadata slot. */
enum mml_rd_meta_state {
	MML_RD_META_UNKNOWN = 0,	/* not looked up yet */
	MML_RD_META_NONE,		/* the entry names no slot */
	MML_RD_META_SLOT,		/* its fields, in meta[0, meta_len) */
	MML_RD_META_STALE,		/* the slot no longer holds them */
};

struct mml_rd_fields {
	struct mml_rd_ring *ring;
	const struct mml_rec *rec;
	unsigned	 flags;
	unsigned	 stage;		/* where the next field comes from */
	unsigned	 last;		/* ... and where the last came from */
	size_t		 off;		/* in the fields block */
	unsigned	 want;		/* mml_rd_fields_only() */
	enum mml_rd_meta_state meta_state;
	const uint8_t	*meta;		/* the slot's fields block */
	size_t		 meta_len;
	size_t		 meta_off;	/* in it */
	/* The values formatted from the record, one buffer per stage. */
	char		 buf[MML_RD_FIELDS_FORMATTED][MML_RD_CURSOR_MAX];
};

void	mml_rd_fields_begin(struct mml_rd_fields *fi,
	    struct mml_rd_ring *ring, const struct mml_rec *rec,
	    unsigned flags);
/* Returns 1 with the next field, or 0 at the end. */
int	mml_rd_fields_next(struct mml_rd_fields *fi, const char **ret_key,
	    size_t *ret_key_len, const uint8_t **ret_val, size_t *ret_val_len);
/*
 * Returns 1 if the field the last call yielded is one the iterator
 * derives from the record (the address, _BOOT_ID through _MMLOG_DAEMON):
 * no other field of the entry has its name, and its value is ASCII that
 * needs no escaping in JSON (but MESSAGE, SYSLOG_IDENTIFIER and _COMM,
 * which are the client's bytes).  0 for the fields block and metadata,
 * where a name may repeat.
 */
int	mml_rd_fields_unique(const struct mml_rd_fields *fi);
/*
 * Where a field named k[0, len) can come from, as a mask of the
 * iterator's sources: a derived field from its own; another from the
 * fields block, and, with "_" first, from the metadata slot too; the
 * address (a "__" name) from none but its own.  0 for a name no entry
 * has.  mml_rd_fields_only() then makes fi (just begun) yield only the
 * fields from the sources in the mask (the union of the masks of the
 * names a caller looks for), and skip the work of the others: a match
 * on SYSLOG_IDENTIFIER formats no number and looks up no slot.
 */
unsigned mml_rd_fields_sources(const char *k, size_t len);
void	mml_rd_fields_only(struct mml_rd_fields *fi, unsigned sources);
/*
 * The two stored sources in those masks: the entry's fields block, and
 * the metadata slot it names (match.c judges what a slot holds once per
 * slot, the rest per entry).
 */
unsigned mml_rd_fields_src_block(void);
unsigned mml_rd_fields_src_slot(void);
/*
 * After the last field: 1 if the entry names a metadata slot that no
 * longer holds its fields (mml_rd_meta()'s -ESTALE), so that it was
 * shown without its trusted metadata; else 0.
 */
int	mml_rd_fields_meta_stale(const struct mml_rd_fields *fi);

/* Returns 1 if k[0, len) is a journald field name (A-Z 0-9 _, 1-64). */
int	mml_rd_field_name_valid(const uint8_t *k, size_t len);

/*
 * journalctl's matches (match.c), as sd_journal keeps them: a
 * conjunction (AND) of clauses; a clause a disjunction (OR) of groups; a
 * group a conjunction of terms on different fields; a term the values a
 * field may have (any of them).  FIELD=VALUE words from the command line
 * build the first clause ("+" starts a new group); -u, -k and the like
 * each add a clause.  A value may be a glob (fnmatch(3)), for -u.
 * Matching walks the entry's fields once (mml_rd_fields_next()).
 */
struct mml_rd_match;

/* A new, empty match, which every entry passes; NULL for ENOMEM. */
struct mml_rd_match *mml_rd_match_new(void);
struct mml_rd_match *mml_rd_match_free(struct mml_rd_match *m);
/*
 * Adds FIELD=VALUE (glob: VALUE is a pattern; suffix: the field's value
 * must also end with it, for -u's slices) to the current group.  Returns
 * 0, -EINVAL for a field name journald would not take, -ENOMEM.
 */
int	mml_rd_match_add(struct mml_rd_match *m, const char *field,
	    size_t field_len, const char *value, size_t value_len, int glob,
	    const char *suffix);
/* Parses "FIELD=VALUE" and adds it; "+" starts a new group.  As above. */
int	mml_rd_match_add_word(struct mml_rd_match *m, const char *word);
/* A new group of the current clause ("+", sd_journal_add_disjunction()). */
int	mml_rd_match_or(struct mml_rd_match *m);
/* A new clause (sd_journal_add_conjunction()). */
int	mml_rd_match_and(struct mml_rd_match *m);
/*
 * journalctl -u UNIT: the unit's own entries, systemd's and coredumps'
 * about it, as its add_matches_for_unit() does, in a clause of their
 * own (with the others of the same call: call mml_rd_match_and() after
 * the last unit).  A unit with glob characters matches every unit it
 * matches.
 */
int	mml_rd_match_add_unit(struct mml_rd_match *m, const char *unit);
/* Whether the match has any term. */
int	mml_rd_match_empty(const struct mml_rd_match *m);
/*
 * Returns 1 if the entry matches, else 0.  A match with a term on a
 * field the metadata slot can hold (a "_" name) is judged once per slot
 * for the entries that name one, and by their own fields only where the
 * slot does not decide; the answer is the one a walk of every field
 * gives (mml_rd_match_per_entry()).
 */
int	mml_rd_match_test(struct mml_rd_match *m,
	    struct mml_rd_ring *ring, const struct mml_rec *rec);
/*
 * With on set, every entry is judged by a walk of all its fields, never
 * per slot: for the tests that compare the two (MMLOGCTL_DEBUG=
 * match-each in mmlogctl).
 */
void	mml_rd_match_per_entry(struct mml_rd_match *m, int on);
/* How the entries were judged (MMLOGCTL_DEBUG=match in mmlogctl). */
struct mml_rd_match_stats {
	uint64_t	 by_slot;	/* by what the match found in their slot */
	uint64_t	 by_fields;	/* ... and their own fields */
	uint64_t	 per_entry;	/* by all their fields */
	uint64_t	 slot_versions;	/* slots' contents judged to do so */
};
void	mml_rd_match_stats(const struct mml_rd_match *m,
	    struct mml_rd_match_stats *ret);
/*
 * Whether the last mml_rd_match_test() judged its entry without its
 * trusted metadata (mml_rd_fields_meta_stale()): a term on those fields
 * could not see them.  1 or 0.
 */
int	mml_rd_match_stale(const struct mml_rd_match *m);

/* Output formats of `show`. */
enum mml_rd_output {
	MML_RD_O_SHORT,
	MML_RD_O_SHORT_PRECISE,
	MML_RD_O_SHORT_ISO,
	MML_RD_O_JSON,
	MML_RD_O_JSON_PRETTY,
	MML_RD_O_EXPORT,
	MML_RD_O_CAT,
	MML_RD_O_RAW,
	MML_RD_O_SHORT_ISO_PRECISE,
	MML_RD_O_SHORT_FULL,
	MML_RD_O_SHORT_MONOTONIC,
	MML_RD_O_SHORT_UNIX,
	MML_RD_O_WITH_UNIT,
	MML_RD_O_VERBOSE,
	MML_RD_O_JSON_SEQ,	/* the last */
};

/* State shared by every entry printed. */
struct mml_rd_fmt {
	FILE		*out;
	enum mml_rd_output mode;
	struct mml_rd_ring *ring;
	char		 host[256];	/* escaped gethostname() */
	uint8_t		 ring_id[16];
	uint8_t		 boot_id[16];
	int		 have_boot_id;
	int		 color;		/* highlight by priority (a terminal) */
	int		 utc;		/* times in UTC (--utc) */
	int		 no_hostname;	/* --no-hostname */
	/* --output-fields: only these, NULL for every field. */
	const char	*const *fields;
	size_t		 n_fields;
	/* -g: the part of the next message to highlight, [hl_from, hl_to). */
	size_t		 hl_from, hl_to;
	char		 cursor_pre[40];	/* "s=<ring id>;i=" */
};

/* Returns the format named s, or -EINVAL. */
int	mml_rd_output_parse(const char *s);

/*
 * Fills f for printing entries of ring (which must outlive f; NULL for
 * none: no boot id, a zero ring id), the options cleared.
 */
void	mml_rd_fmt_init(struct mml_rd_fmt *f, FILE *out,
	    enum mml_rd_output mode, struct mml_rd_ring *ring);

/*
 * Prints one checked entry record in f's format.  MML_RD_O_RAW writes
 * the record's bytes as they are in the ring, header and CRC included,
 * padded with zeros to MML_DISK_ALIGN: a stream of records that
 * mml_disk_rec_check() accepts one after the other.
 */
void	mml_rd_fmt_entry(struct mml_rd_fmt *f, const struct mml_rec *rec);

/*
 * Prints the marker for n entries overwritten before they were read: on
 * f's stream for text formats, on stderr for machine-readable ones.
 */
void	mml_rd_fmt_lost(struct mml_rd_fmt *f, uint64_t n);

/* Whether f's format is one a person reads (markers go among entries). */
int	mml_rd_fmt_is_text(const struct mml_rd_fmt *f);

/* Formats a cursor into buf (MML_RD_CURSOR_MAX bytes). */
void	mml_rd_cursor_format(char *buf, const uint8_t ring_id[16],
	    uint64_t seq);

/*
 * Parses a cursor "s=<ring id>;i=<seq>"; fields may come in any order
 * and unknown ones are ignored.  Returns 0 or -EINVAL.
 */
int	mml_rd_cursor_parse(const char *s, uint8_t ret_ring_id[16],
	    uint64_t *ret_seq);

/* Writes 16 bytes as 32 lowercase hex digits and a NUL into buf. */
void	mml_rd_hex128(char *buf, const uint8_t id[16]);

/*
 * Writes bytes for a terminal: valid printable UTF-8 as is, \n, \r and
 * \t as those two-character escapes, every other control byte, C1
 * control, bidirectional control (U+202A-202E, U+2066-2069), line or
 * paragraph separator (U+2028, U+2029) and byte of invalid UTF-8 as
 * \xHH (JSON: \uXXXX).
 */
void	mml_rd_put_escaped(FILE *out, const uint8_t *p, size_t len);

/*
 * Writes bytes as a JSON string, quotes included; if they are not valid
 * UTF-8, as an array of byte values instead (journalctl's convention).
 */
void	mml_rd_put_json(FILE *out, const uint8_t *p, size_t len);

/* mml_rd_put_json() of a C string. */
void	mml_rd_put_json_str(FILE *out, const char *s);

/* Returns 1 if p[0, len) is valid UTF-8, else 0. */
int	mml_rd_utf8_valid(const uint8_t *p, size_t len);

/*
 * The length of the well-formed UTF-8 sequence at p, of at most left
 * bytes (RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF), with its code point in *ret_cp; 0 if there is none.
 */
size_t	mml_rd_utf8_seq(const uint8_t *p, size_t left, uint32_t *ret_cp);

/*
 * Hexdump of p[0, len): "prefix" then the offset, 16 bytes in hex and
 * their printable ASCII between bars, one line per 16 bytes.
 */
void	mml_rd_hexdump(FILE *out, const char *prefix, const uint8_t *p,
	    size_t len);

/*
 * Formats a CLOCK_REALTIME time in usec as systemd's format_timestamp()
 * does, which --since reads back: "Tue 2023-11-14 22:13:20 CET", local
 * or (utc set) UTC.
 */
void	mml_rd_time_full(char *buf, size_t cap, uint64_t usec, int utc);

/* Formats a CLOCK_REALTIME time in usec as local ISO 8601 with zone. */
void	mml_rd_time_iso(char *buf, size_t cap, uint64_t usec);

/* What mml_rd_index_check() found. */
struct mml_rd_idx_report {
	uint64_t	 slots;
	uint64_t	 used;		/* naming a live entry, which checks */
	uint64_t	 stale;		/* naming an evicted or damaged entry */
	uint64_t	 damaged;	/* each also passed to the callback */
};

/*
 * Checks every slot of the ring's seek index against the record it
 * names, calling bad(arg, slot, file offset, why) for each damaged one.
 * Returns 0; -1 if the header announces an index the file lacks.
 */
int	mml_rd_index_check(struct mml_rd_ring *r,
	    struct mml_rd_idx_report *rep,
	    void (*bad)(void *, uint64_t, uint64_t, const char *), void *arg);

/*
 * Replaces path with text: a temporary file beside it (created with
 * mode), then rename(2); with durable set, the file is synced before the
 * rename and its directory after, so that after a crash path holds the
 * old text or the new, never nothing.  Returns 0 or -errno.
 */
int	mml_rd_write_atomic(const char *path, const char *text, mode_t mode,
	    int durable);

/*
 * Cursor files (cursor.c), which both tools keep their place in.
 * mml_rd_cursor_file_read() reads the text of the file at path into buf
 * (cap bytes), trailing blanks and newline cut.  Returns 1 if it holds
 * text, 0 if it does not exist or is empty (no cursor yet), -errno if it
 * cannot be read.  mml_rd_cursor_file_write() replaces it with the
 * cursor of seq in ring ring_id and a newline, as mml_rd_write_atomic()
 * does, durably, a new file getting mode.  Returns 0 or -errno.
 */
int	mml_rd_cursor_file_read(const char *path, char *buf, size_t cap);
int	mml_rd_cursor_file_write(const char *path, const uint8_t ring_id[16],
	    uint64_t seq, mode_t mode);

/*
 * Following a ring as it grows (follow.c).  The caller's loop walks the
 * ring to its end, asks mml_rd_follow_reopen() whether the file must be
 * read anew, and otherwise waits with mml_rd_follow_wait() for the
 * daemon's NOTIFY (or a timeout, or a signal) before it walks again.
 * The follower subscribes to the daemon's socket, polls the ring while
 * the daemon is away, and reconnects when it is back.
 */
struct mml_rd_follow {
	const char	*socket;	/* the daemon's socket */
	const char	*ring_path;	/* the ring's path */
	unsigned	 sub_id;	/* the SUBSCRIBE frame's id */
	int		 out_fd;	/* its reader going away ends a wait */
	int		 notify_fd;	/* subscribed to NOTIFY, or -1 */
	int		 refused;	/* the daemon refused: polling only */
	int		 ino;		/* watching the directories, or -1 */
	int		 watch_tried;
	int		 quick;		/* quick reconnections left */
	uint64_t	 next_connect_ms;	/* CLOCK_MONOTONIC */
	char		 why[256];	/* MML_RD_FOLLOW_REFUSED: the reason */
};

/* What mml_rd_follow_wait() saw. */
enum mml_rd_follow_event {
	MML_RD_FOLLOW_LOOK = 0,	/* look at the ring again */
	MML_RD_FOLLOW_REFUSED,	/* the daemon refused to notify us (why) */
	MML_RD_FOLLOW_OUT_GONE,	/* out_fd's reader went away */
	MML_RD_FOLLOW_OUT_BAD,	/* out_fd is not open */
};

/*
 * Prepares a follower of the ring at ring_path through the daemon at
 * socket (both strings must outlive it), subscribing with frame id id;
 * out_fd, if not -1, is a descriptor whose reader going away ends the
 * wait (a pipe to a pager or head(1)).  Makes the process's wake-up
 * pipe on first use.  Returns 0 or -errno.
 */
int	mml_rd_follow_init(struct mml_rd_follow *fw, const char *socket,
	    const char *ring_path, unsigned id, int out_fd);

/* Closes the follower's descriptors. */
void	mml_rd_follow_done(struct mml_rd_follow *fw);

/*
 * Ends the current or next mml_rd_follow_wait() at once; safe in a
 * signal handler (it writes a byte to the wake-up pipe, errno kept).
 */
void	mml_rd_follow_wake(void);

/*
 * Returns 1 with the ring at r's path opened anew in *ret if r should be
 * replaced by it: the path names another file now, our map took a
 * SIGBUS or no longer holds the ring (mml_rd_ring_replaced()).  Returns
 * 0 if not, or if no new ring can be opened yet (the daemon re-creating
 * it); the next call tries again.  The caller finishes reading r, whose
 * map stays valid, then calls mml_rd_follow_switch().
 */
int	mml_rd_follow_reopen(struct mml_rd_ring *r, struct mml_rd_ring **ret);

/*
 * Moves it and *ring (the ring it walks) to nr: frees the old ring and
 * initialises it on nr in MML_RD_COPY mode, to be placed by the caller.
 * Returns 1 if nr is the same ring (the same id, remapped), 0 if it is
 * another one.
 */
int	mml_rd_follow_switch(struct mml_rd_iter *it, struct mml_rd_ring **ring,
	    struct mml_rd_ring *nr);

/*
 * Waits, at most max_ms, for a reason to look at the ring again: a
 * NOTIFY, a wake-up, or the time to poll (every second with a
 * subscription, every 250 ms without).  First subscribes if there is no
 * subscription and it is time to try again.  Returns an enum
 * mml_rd_follow_event, or -errno if poll() failed.
 */
int	mml_rd_follow_wait(struct mml_rd_follow *fw, int max_ms);

#endif /* MML_RINGREAD_H */
