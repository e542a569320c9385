// A growable little-endian byte buffer: the storage behind every response the core encodes.
#ifndef WEB_SQLITE_BYTE_WRITER_H_
#define WEB_SQLITE_BYTE_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace wsq {

class ByteWriter {
 public:
  ByteWriter() = default;
  ByteWriter(const ByteWriter&) = delete;
  ByteWriter& operator=(const ByteWriter&) = delete;
  ~ByteWriter() { std::free(data_); }

  /// Forget the contents, keep the capacity.
  void Clear() { size_ = 0; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  /// False once an allocation failed; the contents are then incomplete.
  bool ok() const { return ok_; }

  void PutU8(uint8_t v) {
    if (Reserve(1)) data_[size_++] = v;
  }
  void PutU32(uint32_t v) { PutRaw(&v, 4); }
  void PutI32(int32_t v) { PutRaw(&v, 4); }
  void PutI64(int64_t v) { PutRaw(&v, 8); }
  void PutF64(double v) { PutRaw(&v, 8); }
  /// A u32 length followed by the bytes.
  void PutSized(const void* p, size_t n) {
    PutU32(static_cast<uint32_t>(n));
    PutRaw(p, n);
  }
  void PutSized(std::string_view s) { PutSized(s.data(), s.size()); }
  void PutRaw(const void* p, size_t n) {
    if (n == 0 || !Reserve(n)) return;
    std::memcpy(data_ + size_, p, n);
    size_ += n;
  }
  /// Overwrites 4 bytes at offset (which must already be written).
  void PatchU32(size_t offset, uint32_t v) {
    if (offset + 4 <= size_) std::memcpy(data_ + offset, &v, 4);
  }
  void PatchI64(size_t offset, int64_t v) {
    if (offset + 8 <= size_) std::memcpy(data_ + offset, &v, 8);
  }

 private:
  bool Reserve(size_t n) {
    if (!ok_) return false;
    if (size_ + n <= capacity_) return true;
    size_t cap = capacity_ ? capacity_ : 4096;
    while (cap < size_ + n) cap *= 2;
    auto* grown = static_cast<uint8_t*>(std::realloc(data_, cap));
    if (grown == nullptr) {
      ok_ = false;
      return false;
    }
    data_ = grown;
    capacity_ = cap;
    return true;
  }

  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
  bool ok_ = true;
};

}  // namespace wsq

#endif  // WEB_SQLITE_BYTE_WRITER_H_
