// ChaCha20 (RFC 8439) for the encryption build, four blocks at a time: the cipher of SQLite3
// Multiple Ciphers' default format (ChaCha20-Poly1305, sqleet's) spends most of its time here,
// once per page read or written. Its own ChaCha20 computes one block after the other; this one
// keeps the same state word of four consecutive blocks in one 128-bit vector, so each operation of
// a round works on four blocks (SIMD128 in wasm, SSE2 natively). The key stream is the same byte
// for byte: the RFC's test vectors (core/test/cipher_test.cc) and the interoperability test with
// better-sqlite3-multiple-ciphers check it.
//
// Included by amalgamation.c after sqlite3.c, in the encryption build only: scripts/setup.sh
// renames SQLite3MC's definition of chacha20_xor, and its declaration (static) is defined here.

typedef uint32_t wsq_u32x4 __attribute__((vector_size(16), aligned(16)));
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the key stream is stored as words");

#define WSQ_SHUFFLE(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#define WSQ_ROTL(v, c) (((v) << (c)) | ((v) >> (32 - (c))))
#define WSQ_QUARTER(a, b, c, d) \
  a += b;                       \
  d ^= a;                       \
  d = WSQ_ROTL(d, 16);          \
  c += d;                       \
  b ^= c;                       \
  b = WSQ_ROTL(b, 12);          \
  a += b;                       \
  d ^= a;                       \
  d = WSQ_ROTL(d, 8);           \
  c += d;                       \
  b ^= c;                       \
  b = WSQ_ROTL(b, 7);

static uint32_t wsq_load32_le(const uint8_t* p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

// XORs the key stream of blocks counter .. counter + 3 into the 256 bytes at data.
static void wsq_chacha20_x4(const wsq_u32x4 state[16], uint32_t counter, uint8_t* data) {
  wsq_u32x4 x[16];
  for (int i = 0; i < 16; i++) x[i] = state[i];
  x[12] += (wsq_u32x4){counter, counter + 1, counter + 2, counter + 3};
  wsq_u32x4 row12 = x[12];
  for (int round = 0; round < 10; round++) {
    WSQ_QUARTER(x[0], x[4], x[8], x[12])
    WSQ_QUARTER(x[1], x[5], x[9], x[13])
    WSQ_QUARTER(x[2], x[6], x[10], x[14])
    WSQ_QUARTER(x[3], x[7], x[11], x[15])
    WSQ_QUARTER(x[0], x[5], x[10], x[15])
    WSQ_QUARTER(x[1], x[6], x[11], x[12])
    WSQ_QUARTER(x[2], x[7], x[8], x[13])
    WSQ_QUARTER(x[3], x[4], x[9], x[14])
  }
  for (int i = 0; i < 16; i++) x[i] += i == 12 ? row12 : state[i];
  // x[i] holds word i of the four blocks; each block's words i .. i + 3 are a 4x4 transpose.
  for (int i = 0; i < 16; i += 4) {
    wsq_u32x4 ab_low = WSQ_SHUFFLE(x[i], x[i + 1], 0, 4, 1, 5);
    wsq_u32x4 cd_low = WSQ_SHUFFLE(x[i + 2], x[i + 3], 0, 4, 1, 5);
    wsq_u32x4 ab_high = WSQ_SHUFFLE(x[i], x[i + 1], 2, 6, 3, 7);
    wsq_u32x4 cd_high = WSQ_SHUFFLE(x[i + 2], x[i + 3], 2, 6, 3, 7);
    wsq_u32x4 blocks[4] = {
        WSQ_SHUFFLE(ab_low, cd_low, 0, 1, 4, 5), WSQ_SHUFFLE(ab_low, cd_low, 2, 3, 6, 7),
        WSQ_SHUFFLE(ab_high, cd_high, 0, 1, 4, 5), WSQ_SHUFFLE(ab_high, cd_high, 2, 3, 6, 7)};
    for (int block = 0; block < 4; block++) {
      uint8_t* p = data + 64 * block + 4 * i;
      wsq_u32x4 text;
      memcpy(&text, p, sizeof text);
      text ^= blocks[block];
      memcpy(p, &text, sizeof text);
    }
  }
}

#undef WSQ_QUARTER
#undef WSQ_ROTL
#undef WSQ_SHUFFLE

// XORs n bytes of buffer with the ChaCha20 key stream of key and nonce from block counter on.
SQLITE_PRIVATE void chacha20_xor(void* buffer, size_t n, const uint8_t key[32],
                                 const uint8_t nonce[12], uint32_t counter) {
  uint32_t words[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
  for (int i = 0; i < 8; i++) words[4 + i] = wsq_load32_le(key + 4 * i);
  for (int i = 0; i < 3; i++) words[13 + i] = wsq_load32_le(nonce + 4 * i);
  wsq_u32x4 state[16];
  for (int i = 0; i < 16; i++) state[i] = (wsq_u32x4){words[i], words[i], words[i], words[i]};
  uint8_t* bytes = (uint8_t*)buffer;
  for (; n >= 256; bytes += 256, n -= 256, counter += 4) wsq_chacha20_x4(state, counter, bytes);
  if (n > 0) {
    // The last blocks, through a copy.
    uint8_t tail[256];
    memcpy(tail, bytes, n);
    wsq_chacha20_x4(state, counter, tail);
    memcpy(bytes, tail, n);
  }
}
