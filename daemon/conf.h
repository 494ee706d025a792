/*
 * conf.h: mmlogd's options, from one table (conf.c) for the command
 * line, the configuration file, --help, --check-config and SIGHUP.
 * Internal to daemon/; the defaults of the limits are in server.h.
 */
#ifndef MML_CONF_H
#define MML_CONF_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#define MML_DEFAULT_CONFIG	"/etc/mmlogd.conf"
#define MML_CONF_MAX		32	/* options in the table, at most */

struct mml_conf {
	char socket_path[108];	/* sizeof(sun_path) */
	char file_path[PATH_MAX];
	uint64_t size;
	uint64_t resize;
	uint64_t max_entry;
	uint64_t sync_interval_ms;
	uint64_t max_clients;
	uint64_t max_clients_per_uid;
	uint64_t reserved_clients;
	uint64_t idle_timeout_s;
	uint64_t max_fields;
	uint64_t max_pending;
	uint64_t max_pending_per_uid;
	uint64_t uid_share;
	uint64_t uid_share_interval_s;
	uint64_t rate_limit_interval_ms;
	uint64_t rate_limit_burst;
	uint64_t rate_limit_by;	/* enum mml_rate_key */
	char user[64];
	char group[64];
	uint64_t verbose;
	/* The other intakes; an empty path: none (unless systemd passes one). */
	char syslog_socket[108];
	char journal_socket[108];
	char stdout_socket[108];
	uint64_t kmsg;
	uint64_t max_streams;
	uint64_t ring_write;	/* enum mml_ring_write */

	/* Where the values came from: the file's line, the command line. */
	unsigned line[MML_CONF_MAX];
	const char *cmdline[MML_CONF_MAX];	/* in argv; kept for reloads */
	const char *config_path;
	int config_explicit;	/* named by --config or $MMLOGD_CONFIG */
};

enum {
	MML_CONF_RUN,
	MML_CONF_CHECK,		/* --check-config */
	MML_CONF_HELP,
	MML_CONF_VERSION,
};

/*
 * Parses the command line into c (which it clears): checks every value,
 * keeps them to override the file, notes --config.  Returns MML_CONF_*,
 * or -EINVAL after printing why (a usage error).
 */
int mml_conf_args(struct mml_conf *c, int argc, char **argv);
/*
 * Sets every option of c to its default, then to the file's value, then
 * to the command line's.  Returns 0, or -errno after logging each error
 * with the file's name and line.
 */
int mml_conf_load(struct mml_conf *c);
/* Whether the file or the command line set the option named key. */
int mml_conf_is_set(const struct mml_conf *c, const char *key);
/* The smallest ring the daemon can use with c's max-entry. */
uint64_t mml_conf_min_cap(const struct mml_conf *c);
/*
 * Whether every value of c is one the table allows, as mml_conf_load()
 * leaves them: strings end within their fields, sizes are aligned,
 * numbers within their ranges.  Returns 0, or -ERANGE.
 */
int mml_conf_check(const struct mml_conf *c);
void mml_conf_usage(FILE *f);
/* Prints every option as "key = value  # where from". */
void mml_conf_print(const struct mml_conf *c, FILE *f);
/*
 * For SIGHUP: logs every option whose value differs in next, copies the
 * ones that can change live into cur, and says which need a restart.
 * Returns how many changed.
 */
int mml_conf_update(struct mml_conf *cur, const struct mml_conf *next);

#endif /* MML_CONF_H */
