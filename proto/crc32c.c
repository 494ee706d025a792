/*
 * crc32c.c: CRC32C (Castagnoli polynomial 0x1EDC6F41, reflected
 * 0x82F63B78), the checksum of every record on disk.
 *
 * Records are checksummed on the ingest path, so speed matters: on x86-64
 * with SSE4.2 the crc32 instruction does 8 bytes per cycle or so; other
 * machines use a slicing-by-8 table, built on first use.
 */
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
__attribute__((target("sse4.2")))
static uint32_t
crc32c_hw(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c = crc, w;

	while (len >= 8) {
		memcpy(&w, p, 8);
		c = __builtin_ia32_crc32di(c, w);
		p += 8;
		len -= 8;
	}
	while (len--)
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
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
