/*
 * crc32c.c: CRC32C (Castagnoli polynomial 0x1EDC6F41, reflected
 * 0x82F63B78), the checksum of every record on disk.
 *
 * Records are checksummed on the ingest path and by every reader, so
 * speed matters: on x86-64 with SSE4.2 the crc32 instruction, three
 * streams at once on buffers from 192 bytes (below); other machines use a
 * slicing-by-8 table, built on first use.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire.h"

static uint32_t crc32c_sw(uint32_t, const uint8_t *, size_t);

static uint32_t table[8][256];
static int table_ready;

static void
table_init(void)
{
	uint32_t c;
	int i, j;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (j = 0; j < 8; j++)
			c = (c >> 1) ^ (0x82F63B78U & (0U - (c & 1U)));
		table[0][i] = c;
	}
	for (i = 0; i < 256; i++) {
		c = table[0][i];
		for (j = 1; j < 8; j++) {
			c = table[0][c & 0xff] ^ (c >> 8);
			table[j][i] = c;
		}
	}
	__atomic_store_n(&table_ready, 1, __ATOMIC_RELEASE);
}

static uint32_t
crc32c_sw(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t w;

	/*
	 * Building the table twice from two threads is harmless: both write
	 * the same values.
	 */
	if (!__atomic_load_n(&table_ready, __ATOMIC_ACQUIRE))
		table_init();
	while (len >= 8) {
		memcpy(&w, p, 8);
		w ^= crc;
		crc = table[7][w & 0xff] ^ table[6][(w >> 8) & 0xff] ^
		    table[5][(w >> 16) & 0xff] ^ table[4][(w >> 24) & 0xff] ^
		    table[3][(w >> 32) & 0xff] ^ table[2][(w >> 40) & 0xff] ^
		    table[1][(w >> 48) & 0xff] ^ table[0][w >> 56];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

#if defined(__x86_64__)
/*
 * The crc32 instruction has a latency of 3 cycles but can start one
 * every cycle, so one chain of them uses a third of what the CPU can
 * do.  A long buffer is cut into three parts of CHUNK bytes, run side by
 * side, and their CRCs combined.  The register update is linear: the CRC
 * of A then B, starting from s, is the register after A moved over |B|
 * zero bytes, xor the CRC of B starting from 0.  Moving a register over
 * CHUNK zero bytes is a linear map too, kept as four tables of 256 (one
 * per byte of the register).  The tables for 64 and 256 bytes are
 * built from the bitwise definition; the one for 8192 by doubling the
 * second five times.  Chunks of 64 bytes serve records from 192 bytes
 * on (a 128-byte entry's record: 28 -> 21 ns here), chunks of 256 and
 * 8192 longer buffers, with fewer combinations.
 */
#define CHUNK_TINY	64
#define CHUNK_SHORT	256
#define CHUNK_LONG	8192

static uint32_t shift_tiny[4][256], shift_short[4][256], shift_long[4][256];
static pthread_once_t shift_once = PTHREAD_ONCE_INIT;

/* The register x moved over the zero bytes t stands for. */
static uint32_t
shift(const uint32_t t[4][256], uint32_t x)
{
	return t[0][x & 0xff] ^ t[1][(x >> 8) & 0xff] ^
	    t[2][(x >> 16) & 0xff] ^ t[3][x >> 24];
}

/* The tables of a linear map, from its images of the 32 single bits. */
static void
shift_fill(uint32_t t[4][256], const uint32_t unit[32])
{
	uint32_t x;
	int k, v, b;

	for (k = 0; k < 4; k++)
		for (v = 0; v < 256; v++) {
			for (x = 0, b = 0; b < 8; b++)
				if ((v >> b) & 1)
					x ^= unit[8 * k + b];
			t[k][v] = x;
		}
}

/* The images of the 32 single bits moved over n zero bytes, bit by bit. */
static void
shift_units(uint32_t unit[32], size_t n)
{
	uint32_t x;
	size_t i;
	int b;

	for (b = 0; b < 32; b++) {
		x = 1U << b;
		for (i = 0; i < n * 8; i++)
			x = (x >> 1) ^ (0x82F63B78U & (0U - (x & 1U)));
		unit[b] = x;
	}
}

static void
shift_init(void)
{
	static uint32_t tmp[4][256];
	uint32_t unit[32];
	size_t n;
	int b;

	shift_units(unit, CHUNK_TINY);
	shift_fill(shift_tiny, unit);
	shift_units(unit, CHUNK_SHORT);
	shift_fill(shift_short, unit);
	memcpy(tmp, shift_short, sizeof(tmp));
	for (n = CHUNK_SHORT; n < CHUNK_LONG; n *= 2) {
		for (b = 0; b < 32; b++)
			unit[b] = shift(tmp, unit[b]);
		shift_fill(tmp, unit);
	}
	memcpy(shift_long, tmp, sizeof(tmp));
}

/*
 * Three streams of chunk bytes at a time, while 3 * chunk remain.
 * Inline, so that each call's constant chunk unrolls its loop.
 */
__attribute__((target("sse4.2"), always_inline))
static inline uint64_t
crc32c_hw3(uint64_t c, const uint8_t **pp, size_t *lenp, size_t chunk,
    const uint32_t t[4][256])
{
	const uint8_t *p = *pp;
	uint64_t c1, c2, w0, w1, w2;
	size_t len = *lenp, i;

	while (len >= 3 * chunk) {
		c1 = c2 = 0;
		for (i = 0; i < chunk; i += 8) {
			memcpy(&w0, p + i, 8);
			memcpy(&w1, p + chunk + i, 8);
			memcpy(&w2, p + 2 * chunk + i, 8);
			c = __builtin_ia32_crc32di(c, w0);
			c1 = __builtin_ia32_crc32di(c1, w1);
			c2 = __builtin_ia32_crc32di(c2, w2);
		}
		c = shift(t, (uint32_t)c) ^ (uint32_t)c1;
		c = shift(t, (uint32_t)c) ^ (uint32_t)c2;
		p += 3 * chunk;
		len -= 3 * chunk;
	}
	*pp = p;
	*lenp = len;
	return c;
}

__attribute__((target("sse4.2")))
static uint32_t
crc32c_hw(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c = crc, w;
	uint32_t w32;
	uint16_t w16;

	if (len >= 3 * CHUNK_TINY) {
		(void)pthread_once(&shift_once, shift_init);
		if (len >= 3 * CHUNK_SHORT) {
			c = crc32c_hw3(c, &p, &len, CHUNK_LONG, shift_long);
			c = crc32c_hw3(c, &p, &len, CHUNK_SHORT, shift_short);
		}
		c = crc32c_hw3(c, &p, &len, CHUNK_TINY, shift_tiny);
	}
	while (len >= 8) {
		memcpy(&w, p, 8);
		c = __builtin_ia32_crc32di(c, w);
		p += 8;
		len -= 8;
	}
	/* The last 0-7 bytes: a word, a half, a byte, not a loop of bytes. */
	if (len >= 4) {
		memcpy(&w32, p, 4);
		c = __builtin_ia32_crc32si((uint32_t)c, w32);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&w16, p, 2);
		c = __builtin_ia32_crc32hi((uint32_t)c, w16);
		p += 2;
		len -= 2;
	}
	if (len)
		c = __builtin_ia32_crc32qi((uint32_t)c, *p);
	return (uint32_t)c;
}
#endif

/*
 * Returns the CRC32C of buf[0, len) continuing from crc (0 to start).
 * The inversion before and after is done here, so calls chain:
 * mml_crc32c(mml_crc32c(0, a, n), b, m) == mml_crc32c(0, ab, n + m).
 */
uint32_t
mml_crc32c(uint32_t crc, const void *buf, size_t len)
{
	crc = ~crc;
#if defined(__x86_64__)
	if (__builtin_cpu_supports("sse4.2"))
		return ~crc32c_hw(crc, buf, len);
#endif
	return ~crc32c_sw(crc, buf, len);
}
