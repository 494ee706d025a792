/*
 * check_syslog.c: the syslog datagram parser (daemon/syslog_parse.c), one
 * table row per quirk, run through syslog_one().
 *
 * Rows marked "captured" hold the exact bytes a real sender wrote,
 * received on an AF_UNIX SOCK_DGRAM socket on Debian 12 (the sender and
 * its version are named); the others are made by hand.  Unless a row
 * says "not journald", its expected fields are what systemd-journald 252
 * stored for the same bytes sent to its dev-log socket (run in a mount
 * namespace as shared/recipes/journald-in-a-namespace.md shows, read
 * back with journalctl -o export); journald does not parse RFC 5424,
 * so those rows are ours alone (proto/SYSLOG.md).
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "entry.h"
#include "syslog_parse.h"
#include "wire.h"

Suite *syslog_suite(void);

/* A byte string with its length: it may hold NULs. */
#define IN(s)		s, sizeof(s) - 1
/* Stands for SYSLOG_RAW=<the whole input> in a row's fields. */
#define RAW		"SYSLOG_RAW"
#define FIELDS_MAX	10

struct row {
	const char	*what;
	const char	*in;
	size_t		 in_len;
	int		 ret;		/* MML_SYSLOG_* or -errno */
	int		 prio;
	const char	*tag;		/* "" for none */
	const char	*msg;
	/* Every field, KEY=VALUE, in the order the parser adds them. */
	const char	*fields[FIELDS_MAX];
};

static const struct row rows[] = {
	/* Captured: glibc 2.36 syslog(3), /dev/log in a mount namespace. */
	{ "glibc, no openlog: the program's name",
	    IN("<12>Dec  7 08:55:12 gsys: no openlog, default ident"),
	    MML_SYSLOG_3164, 4, "gsys", "no openlog, default ident",
	    { "SYSLOG_FACILITY=1", "SYSLOG_TIMESTAMP=Dec  7 08:55:12 " } },
	{ "glibc LOG_PID, colons and brackets in the message",
	    IN("<155>Dec  7 08:55:12 captest[4259]: with LOG_PID: colon: "
	    "[bracket] 100%"),
	    MML_SYSLOG_3164, 3, "captest",
	    "with LOG_PID: colon: [bracket] 100%",
	    { "SYSLOG_FACILITY=19", "SYSLOG_PID=4259",
	    "SYSLOG_TIMESTAMP=Dec  7 08:55:12 " } },
	{ "glibc without LOG_PID",
	    IN("<31>Dec  7 08:55:12 captest: without pid"),
	    MML_SYSLOG_3164, 7, "captest", "without pid",
	    { "SYSLOG_FACILITY=3", "SYSLOG_TIMESTAMP=Dec  7 08:55:12 " } },
	{ "glibc passes on the caller's newline: trimmed, raw kept",
	    IN("<30>Dec  7 08:55:12 captest: trailing newline\n"),
	    MML_SYSLOG_3164, 6, "captest", "trailing newline",
	    { "SYSLOG_FACILITY=3", "SYSLOG_TIMESTAMP=Dec  7 08:55:12 ",
	    RAW } },
	{ "glibc, facility in the priority argument",
	    IN("<85>Dec  7 08:55:12 captest: explicit facility in the "
	    "priority"),
	    MML_SYSLOG_3164, 5, "captest",
	    "explicit facility in the priority",
	    { "SYSLOG_FACILITY=10", "SYSLOG_TIMESTAMP=Dec  7 08:55:12 " } },
	{ "glibc, openlog facility 0: kern claimed, no SYSLOG_FACILITY",
	    IN("<6>Dec  7 08:55:12 gsys[4259]: NULL ident with LOG_PID"),
	    MML_SYSLOG_3164, 6, "gsys", "NULL ident with LOG_PID",
	    { "SYSLOG_PID=4259", "SYSLOG_TIMESTAMP=Dec  7 08:55:12 " } },
	{ "glibc, a tag of 46 characters, kept whole",
	    IN("<14>Dec  7 08:55:12 a-tag-longer-than-thirty-two-characters-"
	    "to-see: long tag"),
	    MML_SYSLOG_3164, 6,
	    "a-tag-longer-than-thirty-two-characters-to-see", "long tag",
	    { "SYSLOG_FACILITY=1", "SYSLOG_TIMESTAMP=Dec  7 08:55:12 " } },

	/* Captured: util-linux 2.38.1 logger -u SOCKET. */
	{ "logger, default (its local format, not RFC 5424)",
	    IN("<13>Dec  7 08:54:52 root: default format message"),
	    MML_SYSLOG_3164, 5, "root", "default format message",
	    { "SYSLOG_FACILITY=1", "SYSLOG_TIMESTAMP=Dec  7 08:54:52 " } },
	{ "logger -i -t mytag",
	    IN("<13>Dec  7 08:54:56 mytag[2882]: default with pid"),
	    MML_SYSLOG_3164, 5, "mytag", "default with pid",
	    { "SYSLOG_FACILITY=1", "SYSLOG_PID=2882",
	    "SYSLOG_TIMESTAMP=Dec  7 08:54:56 " } },
	{ "logger --rfc3164: hostname (not journald: it has no tag)",
	    IN("<13>Dec  7 08:54:52 vm root: rfc3164 message"),
	    MML_SYSLOG_3164, 5, "root", "rfc3164 message",
	    { "SYSLOG_FACILITY=1", "SYSLOG_TIMESTAMP=Dec  7 08:54:52 ",
	    "SYSLOG_HOSTNAME=vm" } },
	{ "logger --rfc3164 -i -p daemon.warning: hostname and pid "
	    "(not journald)",
	    IN("<28>Dec  7 08:54:56 vm mytag[2881]: rfc3164 with pid: "
	    "colons: and [brackets]"),
	    MML_SYSLOG_3164, 4, "mytag",
	    "rfc3164 with pid: colons: and [brackets]",
	    { "SYSLOG_FACILITY=3", "SYSLOG_PID=2881",
	    "SYSLOG_TIMESTAMP=Dec  7 08:54:56 ", "SYSLOG_HOSTNAME=vm" } },
	{ "logger -t with 52 characters",
	    IN("<13>Dec  7 08:54:56 a-very-long-tag-of-more-than-thirty-two-"
	    "characters-x: long tag"),
	    MML_SYSLOG_3164, 5,
	    "a-very-long-tag-of-more-than-thirty-two-characters-x",
	    "long tag",
	    { "SYSLOG_FACILITY=1", "SYSLOG_TIMESTAMP=Dec  7 08:54:56 " } },
	{ "logger --rfc5424",
	    IN("<13>1 2026-12-07T08:54:52.255589+00:00 vm root - - "
	    "[timeQuality tzKnown=\"1\" isSynced=\"0\"] rfc5424 message"),
	    MML_SYSLOG_5424, 5, "root", "rfc5424 message",
	    { "SYSLOG_FACILITY=1",
	    "SYSLOG_TIMESTAMP=2026-12-07T08:54:52.255589+00:00",
	    "SYSLOG_HOSTNAME=vm", "SD_TIMEQUALITY_TZKNOWN=1",
	    "SD_TIMEQUALITY_ISSYNCED=0" } },
	{ "logger --rfc5424 --msgid --sd-id --sd-param: several SD "
	    "elements, escapes",
	    IN("<155>1 2026-12-07T08:54:56.739525+00:00 vm mytag 2880 ID47 "
	    "[timeQuality tzKnown=\"1\" isSynced=\"0\"][exampleSDID@32473 "
	    "iut=\"3\" eventSource=\"Application\"][other@1 q=\"a \\\"quoted"
	    "\\\" \\\\ back \\] bracket\"] with structured data"),
	    MML_SYSLOG_5424, 3, "mytag", "with structured data",
	    { "SYSLOG_FACILITY=19", "SYSLOG_PID=2880",
	    "SYSLOG_TIMESTAMP=2026-12-07T08:54:56.739525+00:00",
	    "SYSLOG_HOSTNAME=vm", "SYSLOG_MSGID=ID47",
	    "SD_TIMEQUALITY_TZKNOWN=1", "SD_TIMEQUALITY_ISSYNCED=0",
	    "SD_EXAMPLESDID_32473_IUT=3",
	    "SD_EXAMPLESDID_32473_EVENTSOURCE=Application",
	    "SD_OTHER_1_Q=a \"quoted\" \\ back ] bracket" } },
	{ "logger --rfc5424=notq,notime,nohost: nil values",
	    IN("<13>1 - - root - - - rfc5424 without time and host"),
	    MML_SYSLOG_5424, 5, "root", "rfc5424 without time and host",
	    { "SYSLOG_FACILITY=1" } },
	{ "logger --rfc5424=notq: no structured data",
	    IN("<13>1 2026-12-07T08:54:56.768822+00:00 vm root - - - "
	    "rfc5424 notq"),
	    MML_SYSLOG_5424, 5, "root", "rfc5424 notq",
	    { "SYSLOG_FACILITY=1",
	    "SYSLOG_TIMESTAMP=2026-12-07T08:54:56.768822+00:00",
	    "SYSLOG_HOSTNAME=vm" } },
	{ "logger --rfc5424 -t '' -p kern.emerg: an empty APP-NAME, "
	    "taken as nil",
	    IN("<8>1 2026-12-07T08:54:56.788797+00:00 vm  - - [timeQuality "
	    "tzKnown=\"1\" isSynced=\"0\"] empty tag"),
	    MML_SYSLOG_5424, 0, "", "empty tag",
	    { "SYSLOG_FACILITY=1",
	    "SYSLOG_TIMESTAMP=2026-12-07T08:54:56.788797+00:00",
	    "SYSLOG_HOSTNAME=vm", "SD_TIMEQUALITY_TZKNOWN=1",
	    "SD_TIMEQUALITY_ISSYNCED=0" } },

	/* Captured: Python 3.11 logging.handlers.SysLogHandler(address=). */
	{ "Python, no formatter: no tag, no timestamp, a NUL at the end",
	    IN("<12>plain handler, no formatter\0"),
	    MML_SYSLOG_3164, 4, "", "plain handler, no formatter",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "Python, formatter '%(name)s[%(process)d]: ...'",
	    IN("<11>app[5330]: ERROR with a tag formatter: colon: [x]\0"),
	    MML_SYSLOG_3164, 3, "app",
	    "ERROR with a tag formatter: colon: [x]",
	    { "SYSLOG_FACILITY=1", "SYSLOG_PID=5330", RAW } },
	{ "Python, ident 'pyident: ', facility local7",
	    IN("<191>pyident: ident set, local7\0"),
	    MML_SYSLOG_3164, 7, "pyident", "ident set, local7",
	    { "SYSLOG_FACILITY=23", RAW } },
	{ "Python, a newline inside",
	    IN("<186>pyident: multi\nline\0"),
	    MML_SYSLOG_3164, 2, "pyident", "multi\nline",
	    { "SYSLOG_FACILITY=23", RAW } },
	{ "Python, append_nul = False, UTF-8",
	    IN("<12>append_nul False, \xc3\xa9"),
	    MML_SYSLOG_3164, 4, "", "append_nul False, \xc3\xa9",
	    { "SYSLOG_FACILITY=1", RAW } },

	/* Captured: systemd-journald 252, ForwardToSyslog=yes. */
	{ "journald forwarding systemd-cat -t demo",
	    IN("<14>Dec  7 08:59:08 demo[22834]: hello from systemd-cat"),
	    MML_SYSLOG_3164, 6, "demo", "hello from systemd-cat",
	    { "SYSLOG_FACILITY=1", "SYSLOG_PID=22834",
	    "SYSLOG_TIMESTAMP=Dec  7 08:59:08 " } },
	{ "journald forwarding logger --journald, SYSLOG_FACILITY=10",
	    IN("<82>Dec  7 08:59:08 demo2[22837]: native hi"),
	    MML_SYSLOG_3164, 2, "demo2", "native hi",
	    { "SYSLOG_FACILITY=10", "SYSLOG_PID=22837",
	    "SYSLOG_TIMESTAMP=Dec  7 08:59:08 " } },

	/* Captured: rsyslogd 8.2302 omuxsock (TraditionalForwardFormat). */
	{ "rsyslog forwarding: hostname (not journald)",
	    IN("<13>Dec  7 08:59:14 vm rstag[23527]: via rsyslog omuxsock"),
	    MML_SYSLOG_3164, 5, "rstag", "via rsyslog omuxsock",
	    { "SYSLOG_FACILITY=1", "SYSLOG_PID=23527",
	    "SYSLOG_TIMESTAMP=Dec  7 08:59:14 ", "SYSLOG_HOSTNAME=vm" } },
	{ "rsyslog forwarding an RFC 5424 datagram it did not parse",
	    IN("<13>Dec  7 08:59:14 vm 1 2026-12-07T08:59:14.845671+00:00 vm "
	    "rstag5 - - [timeQuality tzKnown=\"1\" isSynced=\"0\"] 5424 via "
	    "rsyslog"),
	    MML_SYSLOG_3164, 5, "",
	    "vm 1 2026-12-07T08:59:14.845671+00:00 vm rstag5 - - [timeQuality"
	    " tzKnown=\"1\" isSynced=\"0\"] 5424 via rsyslog",
	    { "SYSLOG_FACILITY=1", "SYSLOG_TIMESTAMP=Dec  7 08:59:14 " } },

	/* RFC 3164 quirks, made by hand. */
	{ "no timestamp: raw kept",
	    IN("<13>tag: no timestamp"),
	    MML_SYSLOG_3164, 5, "tag", "no timestamp",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "no timestamp, no tag",
	    IN("<13>just a message, no tag"),
	    MML_SYSLOG_3164, 5, "", "just a message, no tag",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "pid garbage: stored as claimed",
	    IN("<13>tag[abc]: garbage pid"),
	    MML_SYSLOG_3164, 5, "tag", "garbage pid",
	    { "SYSLOG_FACILITY=1", "SYSLOG_PID=abc", RAW } },
	{ "pid empty: stored empty",
	    IN("<13>tag[]: empty pid"),
	    MML_SYSLOG_3164, 5, "tag", "empty pid",
	    { "SYSLOG_FACILITY=1", "SYSLOG_PID=", RAW } },
	{ "'[' never closed: part of the tag",
	    IN("<13>tag[12: unclosed"),
	    MML_SYSLOG_3164, 5, "tag[12", "unclosed",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "']' never opened: part of the tag",
	    IN("<13>tag]: close only"),
	    MML_SYSLOG_3164, 5, "tag]", "close only",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "a pid and no name",
	    IN("<13>[12]: no name"),
	    MML_SYSLOG_3164, 5, "", "no name",
	    { "SYSLOG_FACILITY=1", "SYSLOG_PID=12", RAW } },
	{ "two brackets: the pid is the last",
	    IN("<13>a[b][12]: two brackets"),
	    MML_SYSLOG_3164, 5, "a[b]", "two brackets",
	    { "SYSLOG_FACILITY=1", "SYSLOG_PID=12", RAW } },
	{ "text after the ']': no pid",
	    IN("<13>tag[12]x: after bracket"),
	    MML_SYSLOG_3164, 5, "tag[12]x", "after bracket",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "a tag of 40 characters",
	    IN("<13>TTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTT[1]: 40 char tag"),
	    MML_SYSLOG_3164, 5, "TTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTT",
	    "40 char tag",
	    { "SYSLOG_FACILITY=1", "SYSLOG_PID=1", RAW } },
	{ "a NUL inside: the message ends there, raw kept",
	    IN("<13>tag: nul\0inside"),
	    MML_SYSLOG_3164, 5, "tag", "nul",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "a NUL inside the header",
	    IN("<13>Dec  7 08:54:52 ta\0g: x"),
	    MML_SYSLOG_3164, 5, "", "ta",
	    { "SYSLOG_FACILITY=1", "SYSLOG_TIMESTAMP=Dec  7 08:54:52 ",
	    RAW } },
	{ "only <PRI>",
	    IN("<13>"),
	    MML_SYSLOG_3164, 5, "", "",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "only <PRI> and a newline",
	    IN("<13>\n"),
	    MML_SYSLOG_3164, 5, "", "",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "PRI 192, past RFC 5424's 191: taken, as journald",
	    IN("<192>pri 192"),
	    MML_SYSLOG_3164, 0, "", "pri 192",
	    { "SYSLOG_FACILITY=24", RAW } },
	{ "PRI 999, the most three digits hold",
	    IN("<999>pri 999"),
	    MML_SYSLOG_3164, 7, "", "pri 999",
	    { "SYSLOG_FACILITY=124", RAW } },
	{ "PRI of four digits: no PRI, user.info",
	    IN("<1000>pri 1000"),
	    MML_SYSLOG_3164, 6, "", "<1000>pri 1000",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "empty PRI",
	    IN("<>empty pri"),
	    MML_SYSLOG_3164, 6, "", "<>empty pri",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "PRI not a number",
	    IN("<abc>letters"),
	    MML_SYSLOG_3164, 6, "", "<abc>letters",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "no PRI at all",
	    IN("no pri at all: x"),
	    MML_SYSLOG_3164, 6, "", "no pri at all: x",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "PRI with a leading zero",
	    IN("<013>leading zero: x"),
	    MML_SYSLOG_3164, 5, "", "leading zero: x",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "whitespace around: trimmed, raw kept",
	    IN("   <13>  leading ws: x   "),
	    MML_SYSLOG_3164, 5, "", "  leading ws: x",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "one space after the tag is the separator",
	    IN("<13>Dec  7 08:54:52 tag:  two spaces"),
	    MML_SYSLOG_3164, 5, "tag", " two spaces",
	    { "SYSLOG_FACILITY=1", "SYSLOG_TIMESTAMP=Dec  7 08:54:52 " } },
	{ "a day of one digit without its padding: no timestamp",
	    IN("<13>Dec 7 08:54:52 tag: one digit day"),
	    MML_SYSLOG_3164, 5, "", "Dec 7 08:54:52 tag: one digit day",
	    { "SYSLOG_FACILITY=1", RAW } },
	/* Not journald: the timestamp's edges, each position of it. */
	{ "spaces for every leading zero",
	    IN("<13>Dec  7  8: 4: 2 tag: x"),
	    MML_SYSLOG_3164, 5, "tag", "x",
	    { "SYSLOG_FACILITY=1", "SYSLOG_TIMESTAMP=Dec  7  8: 4: 2 " } },
	{ "a month in lower case",
	    IN("<13>dec  7 08:54:52 tag: x"),
	    MML_SYSLOG_3164, 5, "tag", "x",
	    { "SYSLOG_FACILITY=1", "SYSLOG_TIMESTAMP=dec  7 08:54:52 " } },
	{ "a digit in the month: no timestamp",
	    IN("<13>De1  7 08:54:52 tag: x"),
	    MML_SYSLOG_3164, 5, "", "De1  7 08:54:52 tag: x",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "'@' in the month (below 'A'): no timestamp",
	    IN("<13>D@c  7 08:54:52 tag: x"),
	    MML_SYSLOG_3164, 5, "", "D@c  7 08:54:52 tag: x",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "'[' in the month (above 'Z'): no timestamp",
	    IN("<13>De[  7 08:54:52 tag: x"),
	    MML_SYSLOG_3164, 5, "", "De[  7 08:54:52 tag: x",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "a letter in the minutes: no timestamp",
	    IN("<13>Dec  7 08:5x:52 tag: x"),
	    MML_SYSLOG_3164, 5, "", "Dec  7 08:5x:52 tag: x",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "a space for the last digit of the seconds: no timestamp",
	    IN("<13>Dec  7 08:54:5  tag: x"),
	    MML_SYSLOG_3164, 5, "", "Dec  7 08:54:5  tag: x",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "a '.' for the ':' before the seconds: no timestamp",
	    IN("<13>Dec  7 08:54.52 tag: x"),
	    MML_SYSLOG_3164, 5, "", "Dec  7 08:54.52 tag: x",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "RFC 5424 datagram seen as RFC 3164 by journald (here: 5424)",
	    IN("<13>1 2026-12-07T08:54:52.255589+00:00 vm root - - - m"),
	    MML_SYSLOG_5424, 5, "root", "m",
	    { "SYSLOG_FACILITY=1",
	    "SYSLOG_TIMESTAMP=2026-12-07T08:54:52.255589+00:00",
	    "SYSLOG_HOSTNAME=vm" } },
	{ "a BOM in RFC 3164: part of the message",
	    IN("<13>Dec  7 08:54:52 tag: \xef\xbb\xbf" "bom"),
	    MML_SYSLOG_3164, 5, "tag", "\xef\xbb\xbf" "bom",
	    { "SYSLOG_FACILITY=1", "SYSLOG_TIMESTAMP=Dec  7 08:54:52 " } },
	{ "a tag and nothing after",
	    IN("<13>tag:"),
	    MML_SYSLOG_3164, 5, "tag", "",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "no space after the ':': no tag",
	    IN("<13>tag:nospace"),
	    MML_SYSLOG_3164, 5, "", "tag:nospace",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "spaces before the tag",
	    IN("<13>  tag: lead"),
	    MML_SYSLOG_3164, 5, "tag", "lead",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "a timestamp without its space: no timestamp",
	    IN("<13>Dec  7 08:54:52"),
	    MML_SYSLOG_3164, 5, "", "Dec  7 08:54:52",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "a timestamp whose space is trimmed",
	    IN("<13>Dec  7 08:54:52 "),
	    MML_SYSLOG_3164, 5, "", "Dec  7 08:54:52",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "a newline alone",
	    IN("\n"),
	    MML_SYSLOG_3164, 6, "", "",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "spaces alone",
	    IN("   "),
	    MML_SYSLOG_3164, 6, "", "",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "CR LF at the end",
	    IN("<13>tag: crlf\r\n"),
	    MML_SYSLOG_3164, 5, "tag", "crlf",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "whitespace and NULs mixed at the end",
	    IN("<13>tag: ws and nul \n\0"),
	    MML_SYSLOG_3164, 5, "tag", "ws and nul",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "empty datagram: no entry",
	    IN(""),
	    -ENODATA, 6, "", "", { NULL } },
	{ "RFC 3339 timestamp and hostname (not journald)",
	    IN("<13>2026-12-07T08:54:52.255589+00:00 vm tag[1]: m"),
	    MML_SYSLOG_3164, 5, "tag", "m",
	    { "SYSLOG_FACILITY=1", "SYSLOG_PID=1",
	    "SYSLOG_TIMESTAMP=2026-12-07T08:54:52.255589+00:00",
	    "SYSLOG_HOSTNAME=vm" } },
	{ "RFC 3339 timestamp, Z, no hostname (not journald)",
	    IN("<13>2026-12-07T08:54:52Z tag: m"),
	    MML_SYSLOG_3164, 5, "tag", "m",
	    { "SYSLOG_FACILITY=1", "SYSLOG_TIMESTAMP=2026-12-07T08:54:52Z" } },
	{ "words after the timestamp that are no hostname and tag",
	    IN("<13>Dec  7 08:54:52 Error in module: x"),
	    MML_SYSLOG_3164, 5, "", "Error in module: x",
	    { "SYSLOG_FACILITY=1", "SYSLOG_TIMESTAMP=Dec  7 08:54:52 " } },
	{ "a hostname is only looked for after a timestamp",
	    IN("<13>vm root: m"),
	    MML_SYSLOG_3164, 5, "", "vm root: m",
	    { "SYSLOG_FACILITY=1", RAW } },

	/* RFC 5424 quirks, made by hand (not journald). */
	{ "5424: a BOM before MSG is dropped",
	    IN("<14>1 - host app 77 - - \xef\xbb\xbf" "caf\xc3\xa9"),
	    MML_SYSLOG_5424, 6, "app", "caf\xc3\xa9",
	    { "SYSLOG_FACILITY=1", "SYSLOG_PID=77",
	    "SYSLOG_HOSTNAME=host" } },
	{ "5424: version 2: RFC 3164 then, raw kept",
	    IN("<14>2 - host app - - - msg"),
	    MML_SYSLOG_3164, 6, "", "2 - host app - - - msg",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "5424: version 10",
	    IN("<14>10 - host app - - - msg"),
	    MML_SYSLOG_3164, 6, "", "10 - host app - - - msg",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "5424: only the version",
	    IN("<14>1"),
	    MML_SYSLOG_3164, 6, "", "1",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "5424: a timestamp that is none",
	    IN("<14>1 yesterday host app - - - msg"),
	    MML_SYSLOG_3164, 6, "", "1 yesterday host app - - - msg",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "5424: a fraction of 10 digits",
	    IN("<14>1 2026-12-07T08:54:52.1234567890Z h a - - - m"),
	    MML_SYSLOG_3164, 6, "",
	    "1 2026-12-07T08:54:52.1234567890Z h a - - - m",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "5424: a fraction of 9 digits, lowercase t and z",
	    IN("<14>1 2026-12-07t08:54:52.123456789z h a - - - m"),
	    MML_SYSLOG_5424, 6, "a", "m",
	    { "SYSLOG_FACILITY=1",
	    "SYSLOG_TIMESTAMP=2026-12-07t08:54:52.123456789z",
	    "SYSLOG_HOSTNAME=h" } },
	{ "5424: STRUCTURED-DATA missing",
	    IN("<14>1 - host app - -"),
	    MML_SYSLOG_3164, 6, "", "1 - host app - -",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "5424: no MSG",
	    IN("<14>1 - h a - - [x@1 y=\"z\"]"),
	    MML_SYSLOG_5424, 6, "a", "",
	    { "SYSLOG_FACILITY=1", "SYSLOG_HOSTNAME=h", "SD_X_1_Y=z" } },
	{ "5424: nil STRUCTURED-DATA and no MSG",
	    IN("<14>1 - - - - - -"),
	    MML_SYSLOG_5424, 6, "", "",
	    { "SYSLOG_FACILITY=1" } },
	{ "5424: a PARAM-VALUE never closed",
	    IN("<14>1 - h a - - [x y=\"z] msg"),
	    MML_SYSLOG_3164, 6, "", "1 - h a - - [x y=\"z] msg",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "5424: an SD-ELEMENT never closed",
	    IN("<14>1 - h a - - [x y=\"z\" msg"),
	    MML_SYSLOG_3164, 6, "", "1 - h a - - [x y=\"z\" msg",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "5424: MSG without its space",
	    IN("<14>1 - h a - - [x y=\"z\"]msg"),
	    MML_SYSLOG_3164, 6, "", "1 - h a - - [x y=\"z\"]msg",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "5424: an SD-ELEMENT without SD-ID",
	    IN("<14>1 - h a - - [ y=\"z\"] msg"),
	    MML_SYSLOG_3164, 6, "", "1 - h a - - [ y=\"z\"] msg",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "5424: a PARAM without its quotes",
	    IN("<14>1 - h a - - [x y=z] msg"),
	    MML_SYSLOG_3164, 6, "", "1 - h a - - [x y=z] msg",
	    { "SYSLOG_FACILITY=1", RAW } },
	{ "5424: escapes, an unknown one kept, an unescaped ']'",
	    IN("<14>1 - h a - - [x a=\"\\n\" b=\"c:\\\\\\\\d\" c=\"\\]\" "
	    "d=\"]\" e=\"\" f=\"\\\\\"] m"),
	    MML_SYSLOG_5424, 6, "a", "m",
	    { "SYSLOG_FACILITY=1", "SYSLOG_HOSTNAME=h", "SD_X_A=\\n",
	    "SD_X_B=c:\\\\d", "SD_X_C=]", "SD_X_D=]", "SD_X_E=",
	    "SD_X_F=\\" } },
	{ "5424: names made field names, a repeated PARAM kept twice",
	    IN("<14>1 - h a - - [my-id@123 some.name=\"1\" some.name=\"2\"]"
	    "[x.y z=\"3\"] m"),
	    MML_SYSLOG_5424, 6, "a", "m",
	    { "SYSLOG_FACILITY=1", "SYSLOG_HOSTNAME=h",
	    "SD_MY_ID_123_SOME_NAME=1", "SD_MY_ID_123_SOME_NAME=2",
	    "SD_X_Y_Z=3" } },
	{ "5424: a field name cut to 64",
	    IN("<14>1 - h a - - [abcdefghijabcdefghijabcdefghijabcdefghij "
	    "klmnopqrstklmnopqrstklmnopqrst=\"v\"] m"),
	    MML_SYSLOG_5424, 6, "a", "m",
	    { "SYSLOG_FACILITY=1", "SYSLOG_HOSTNAME=h",
	    "SD_ABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJ_KLMNOPQRSTKLMNOPQRST"
	    "=v" } },
	{ "5424: PROCID and MSGID",
	    IN("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog"
	    " - ID47 [exampleSDID@32473 iut=\"3\"] An application event"),
	    MML_SYSLOG_5424, 5, "evntslog", "An application event",
	    { "SYSLOG_FACILITY=20",
	    "SYSLOG_TIMESTAMP=2003-10-11T22:14:15.003Z",
	    "SYSLOG_HOSTNAME=mymachine.example.com", "SYSLOG_MSGID=ID47",
	    "SD_EXAMPLESDID_32473_IUT=3" } },
	{ "5424: trailing newline trimmed, raw kept",
	    IN("<14>1 - h a - - - m\n"),
	    MML_SYSLOG_5424, 6, "a", "m",
	    { "SYSLOG_FACILITY=1", "SYSLOG_HOSTNAME=h", RAW } },
};

/* The next field of e as "KEY=VALUE", or NULL; *len its length. */
static const uint8_t *
next_field(const struct mml_ent *e, size_t *off, size_t *len)
{
	const uint8_t *item;
	size_t key_len;

	if (mml_fields_next(e->fields, e->fields_len, off, &item, len,
	    &key_len) <= 0)
		return NULL;
	return item;
}

static void
syslog_one(size_t i)
{
	static uint8_t fb[MML_FRAME_MAX];
	const struct row *t = &rows[i];
	const uint8_t *item;
	struct mml_ent e;
	size_t off = 0, len, k;
	const char *want;
	char raw[512];
	int r;

	mml_ent_init(&e, fb, sizeof(fb));
	r = mml_syslog_parse((const uint8_t *)t->in, t->in_len, &e);
	ck_assert_msg(r == t->ret, "row %zu (%s): returned %d", i, t->what, r);
	if (r < 0) {
		ck_assert_msg(e.fields_len == 0 && e.msg_len == 0 &&
		    e.tag_len == 0, "row %zu (%s): entry touched", i, t->what);
		return;
	}
	ck_assert_msg(e.priority == t->prio, "row %zu (%s): priority %d", i,
	    t->what, e.priority);
	ck_assert_msg(e.tag_len == strlen(t->tag) &&
	    (e.tag_len == 0 || memcmp(e.tag, t->tag, e.tag_len) == 0),
	    "row %zu (%s): tag '%.*s'", i, t->what, (int)e.tag_len, e.tag);
	ck_assert_msg(e.msg_len == strlen(t->msg) &&
	    (e.msg_len == 0 || memcmp(e.msg, t->msg, e.msg_len) == 0),
	    "row %zu (%s): message '%.*s'", i, t->what, (int)e.msg_len,
	    e.msg);
	ck_assert_msg(e.cut == 0, "row %zu (%s): cut", i, t->what);
	for (k = 0; k < FIELDS_MAX && t->fields[k] != NULL; k++) {
		item = next_field(&e, &off, &len);
		want = t->fields[k];
		if (strcmp(want, RAW) == 0) {
			ck_assert(t->in_len < sizeof(raw) - 11);
			memcpy(raw, "SYSLOG_RAW=", 11);
			memcpy(raw + 11, t->in, t->in_len);
			ck_assert_msg(item != NULL && len == 11 + t->in_len &&
			    memcmp(item, raw, len) == 0,
			    "row %zu (%s): field %zu is not SYSLOG_RAW", i,
			    t->what, k);
			continue;
		}
		ck_assert_msg(item != NULL && len == strlen(want) &&
		    memcmp(item, want, len) == 0,
		    "row %zu (%s): field %zu is '%.*s', not '%s'", i, t->what,
		    k, item == NULL ? 6 : (int)len,
		    item == NULL ? "(none)" : (const char *)item, want);
	}
	item = next_field(&e, &off, &len);
	ck_assert_msg(item == NULL, "row %zu (%s): extra field '%.*s'", i,
	    t->what, (int)len, item);
	ck_assert_uint_eq(e.n_fields, k);
	ck_assert_uint_eq(e.orig_size, mml_ent_size(&e));
}

START_TEST(test_rows)
{
	syslog_one((size_t)_i);
}
END_TEST

/*
 * A tag past MML_TAG_MAX is cut, and the datagram kept as SYSLOG_RAW
 * (journald keeps any length); mml_ent_fit() then records the size.
 */
START_TEST(test_long_tag)
{
	static uint8_t fb[4096];
	char d[600];
	struct mml_ent e;
	const uint8_t *item;
	size_t off = 0, len, n;

	n = (size_t)snprintf(d, sizeof(d), "<13>%300s: long", "x");
	memset(d + 4, 'T', 300);
	mml_ent_init(&e, fb, sizeof(fb));
	ck_assert_int_eq(mml_syslog_parse((const uint8_t *)d, n, &e),
	    MML_SYSLOG_3164);
	ck_assert_uint_eq(e.tag_len, MML_TAG_MAX);
	ck_assert_int_eq(e.cut, 1);
	ck_assert_uint_eq(e.msg_len, 4);
	item = next_field(&e, &off, &len);
	ck_assert(item != NULL && len == 17 && memcmp(item,
	    "SYSLOG_FACILITY=1", 17) == 0);
	item = next_field(&e, &off, &len);
	ck_assert(item != NULL && len == 11 + n && memcmp(item, "SYSLOG_RAW=",
	    11) == 0 && memcmp(item + 11, d, n) == 0);
	ck_assert_uint_eq(e.orig_size, 300 + 4 + (4 + 17) + (4 + 11 + n));
	ck_assert_int_eq(mml_ent_fit(&e, 4096), 1);
}
END_TEST

/*
 * A fields buffer too small for the structured data: cut, never
 * overrun, orig_size counting the decoded values whole.
 */
START_TEST(test_small_buffer)
{
	static const char d[] = "<14>1 - h a - - [x a=\"\\\"\\\"\\\"\\\"\" "
	    "b=\"0123456789\"] m";
	uint8_t fb[64 + 16];
	struct mml_ent e, big;
	static uint8_t bb[4096];
	const uint8_t *item;
	size_t off = 0, len, cap;

	mml_ent_init(&big, bb, sizeof(bb));
	ck_assert_int_eq(mml_syslog_parse((const uint8_t *)d, sizeof(d) - 1,
	    &big), MML_SYSLOG_5424);
	ck_assert_int_eq(big.cut, 0);
	for (cap = 0; cap <= 64; cap++) {
		memset(fb, 0xa5, sizeof(fb));
		mml_ent_init(&e, fb, cap);
		ck_assert_int_eq(mml_syslog_parse((const uint8_t *)d,
		    sizeof(d) - 1, &e), MML_SYSLOG_5424);
		ck_assert_uint_le(e.fields_len, cap);
		ck_assert_int_eq(fb[cap], 0xa5);
		ck_assert_uint_eq(e.orig_size, big.orig_size);
		ck_assert_int_eq(e.cut, big.fields_len > cap);
		off = 0;
		while ((item = next_field(&e, &off, &len)) != NULL)
			ck_assert(len >= 2);
		ck_assert_uint_eq(off, e.fields_len);
		ck_assert_int_eq(mml_ent_fit(&e, MML_ENT_FIT_MIN), e.cut);
	}
	/* The quotes decoded: SD_X_A holds four. */
	off = 0;
	(void)next_field(&big, &off, &len);
	(void)next_field(&big, &off, &len);
	item = next_field(&big, &off, &len);
	ck_assert(item != NULL && len == 11 && memcmp(item, "SD_X_A=\"\"\"\"",
	    11) == 0);
}
END_TEST

/* mml_syslog_ident() alone, as the kernel log uses it. */
START_TEST(test_ident)
{
	static const struct {
		const char *in;
		int found;
		const char *tag, *pid, *rest;
	} t[] = {
		{ "pidu[111]: xxx", 1, "pidu", "111", "xxx" },
		{ "pidu: xxx", 1, "pidu", NULL, "xxx" },
		{ "pidu:  xxx", 1, "pidu", NULL, " xxx" },
		{ "pidu xxx", 0, NULL, NULL, "pidu xxx" },
		{ "   pidu xxx", 0, NULL, NULL, "   pidu xxx" },
		{ "", 0, NULL, NULL, "" },
		{ "  ", 0, NULL, NULL, "  " },
		{ ":", 1, "", NULL, "" },
		{ ":  ", 1, "", NULL, " " },
		{ " :", 1, "", NULL, "" },
		{ "   pidu:", 1, "pidu", NULL, "" },
		{ "pidu: ", 1, "pidu", NULL, "" },
		{ "pidu : ", 0, NULL, NULL, "pidu : " },
		{ "a[b][12]:\tx", 1, "a[b]", "12", "x" },
		{ "]:", 1, "]", NULL, "" },
		{ "[]: x", 1, "", "", "x" },
	};
	struct mml_syslog_id id;
	const uint8_t *in;
	size_t i, len;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		in = (const uint8_t *)t[i].in;
		len = strlen(t[i].in);
		memset(&id, 0xff, sizeof(id));
		ck_assert_msg(mml_syslog_ident(in, len, &id) == t[i].found,
		    "'%s'", t[i].in);
		if (!t[i].found)
			continue;
		ck_assert_msg(id.tag_len == strlen(t[i].tag) &&
		    memcmp(in + id.tag_off, t[i].tag, id.tag_len) == 0,
		    "'%s': tag", t[i].in);
		ck_assert_msg(id.has_pid == (t[i].pid != NULL), "'%s': pid",
		    t[i].in);
		if (t[i].pid != NULL)
			ck_assert_msg(id.pid_len == strlen(t[i].pid) &&
			    memcmp(in + id.pid_off, t[i].pid, id.pid_len) == 0,
			    "'%s': pid", t[i].in);
		ck_assert_msg(len - id.msg_off == strlen(t[i].rest) &&
		    memcmp(in + id.msg_off, t[i].rest, len - id.msg_off) == 0,
		    "'%s': rest", t[i].in);
	}
}
END_TEST

Suite *
syslog_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("syslog");
	tc = tcase_create("rows");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_rows, 0, (int)(sizeof(rows) /
	    sizeof(rows[0])));
	suite_add_tcase(s, tc);
	tc = tcase_create("long_tag");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_long_tag);
	suite_add_tcase(s, tc);
	tc = tcase_create("small_buffer");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_small_buffer);
	suite_add_tcase(s, tc);
	tc = tcase_create("ident");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_ident);
	suite_add_tcase(s, tc);
	return s;
}
