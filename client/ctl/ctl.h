/*
 * ctl.h: interfaces private to mmlogctl: its terminal manners (pager.c).
 * What mmlogctl shares with mmlog-forward is in ringread.h.
 */
#ifndef MML_CTL_H
#define MML_CTL_H

/*
 * Terminal manners (pager.c).  mml_ctl_color_wanted() says whether
 * output on fd should be highlighted: fd is a terminal, $TERM is set and
 * not "dumb", and $NO_COLOR is not set.
 */
int	mml_ctl_color_wanted(int fd);

/*
 * Starts a pager on standard output if it is a terminal, as journalctl
 * does: $MMLOG_PAGER, else $PAGER, else less(1) (with LESS=FRSXMK
 * unless $LESS is set), else more(1), else a plain copy.  An empty
 * value or "cat" means no pager.  Returns 1 if a pager now reads our
 * standard output, 0 if none was started, -errno on failure (nothing
 * changed then).
 */
int	mml_ctl_pager_open(void);

/*
 * Flushes and closes standard output, then waits for the pager to exit,
 * so that the shell prompt does not come back while it still shows.
 * Does nothing if no pager was started.
 */
void	mml_ctl_pager_close(void);

#endif /* MML_CTL_H */
