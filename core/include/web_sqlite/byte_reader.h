// Bounds-checked little-endian reads over an untrusted buffer. Every read reports failure instead
// of running past the end.
#ifndef WEB_SQLITE_BYTE_READER_H_
#define WEB_SQLITE_BYTE_READER_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace wsq {

class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  size_t remaining() const { return size_ - pos_; }
  size_t position() const { return pos_; }

  bool ReadU8(uint8_t* v) { return ReadRaw(v, 1); }
  bool ReadU32(uint32_t* v) { return ReadRaw(v, 4); }
  bool ReadI32(int32_t* v) { return ReadRaw(v, 4); }
  bool ReadI64(int64_t* v) { return ReadRaw(v, 8); }
  bool ReadF64(double* v) { return ReadRaw(v, 8); }
  /// A u32 length then that many bytes, returned as a view into the buffer.
  bool ReadSized(const uint8_t** p, uint32_t* n) {
    if (!ReadU32(n) || *n > remaining()) return false;
    *p = data_ + pos_;
    pos_ += *n;
    return true;
  }

 private:
  bool ReadRaw(void* out, size_t n) {
    if (n > remaining()) return false;
    std::memcpy(out, data_ + pos_, n);
    pos_ += n;
    return true;
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace wsq

#endif  // WEB_SQLITE_BYTE_READER_H_
