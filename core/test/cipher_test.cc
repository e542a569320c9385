// Encryption at rest in the encryption build (wsq_api_cipher, natively on files): a key proven at
// open, wrong and missing keys refused before anything is written, rekey in WAL mode, and no
// plaintext in the files.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "test_util.h"
#include "web_sqlite.h"
#include "web_sqlite/connection.h"

// core/src/sqlite/amalgamation.c: our ChaCha20 (sqleet == 0) or SQLite3MC's (sqleet == 1).
extern "C" void wsq_test_chacha20_xor(int sqleet, void* buffer, size_t n, const uint8_t key[32],
                                      const uint8_t nonce[12], uint32_t counter);

namespace wsq {
namespace {

constexpr char kMarker[] = "marker-7f3a9c-plaintext";
constexpr int kCreate = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

Key Passphrase(const std::string& text) {
  return Key{WSQ_KEY_PASSPHRASE, reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

std::string Bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class CipherTest : public ::testing::Test {
 protected:
  std::string Path(const char* name) {
    return (std::filesystem::path(dir_.path()) / name).string();
  }

  int Open(const std::string& path, const Key& key, int flags = kCreate) {
    conn_.reset();
    error_.Clear();
    return Connection::Open(path, flags, "", key, &conn_, &error_);
  }
  int Exec(const std::string& sql) {
    error_.Clear();
    ByteWriter out;
    int rc = conn_->Exec(sql, nullptr, 0, WSQ_RUN_ROWS, &out, &error_);
    if (rc == SQLITE_OK) result_ = test::DecodeResult(out.data(), out.size());
    return rc;
  }
  /// Creates path with a table holding the marker, in WAL mode, with key (none: plain).
  void Create(const std::string& path, const Key& key) {
    ASSERT_EQ(Open(path, key), SQLITE_OK) << error_.message;
    ASSERT_EQ(Exec("PRAGMA journal_mode = WAL; CREATE TABLE t(v TEXT);"
                   "INSERT INTO t VALUES ('" +
                   std::string(kMarker) + "')"),
              SQLITE_OK)
        << error_.message;
  }
  std::string Marker() {
    EXPECT_EQ(Exec("SELECT v FROM t"), SQLITE_OK) << error_.message;
    return result_.rows.size() == 1 ? result_.rows[0][0].bytes : std::string();
  }
  /// Whether the marker is in any of path's files (the database, its WAL, its journal).
  bool Plaintext(const std::string& path) {
    for (const char* suffix : {"", "-wal", "-journal"}) {
      if (Bytes(path + suffix).find(kMarker) != std::string::npos) return true;
    }
    return false;
  }

  test::TempDir dir_;
  std::unique_ptr<Connection> conn_;
  Error error_;
  test::Result result_;
};

TEST_F(CipherTest, KeyOpensWhatItEncryptedAndNoPlaintextReachesTheFiles) {
  const std::string path = Path("a.db");
  Create(path, Passphrase("correct horse"));
  EXPECT_FALSE(Plaintext(path)) << "the WAL holds the marker encrypted";
  ASSERT_EQ(Exec("PRAGMA wal_checkpoint(TRUNCATE)"), SQLITE_OK);
  EXPECT_FALSE(Plaintext(path));
  conn_.reset();
  EXPECT_NE(Bytes(path).substr(0, 16), std::string("SQLite format 3\0", 16));
  ASSERT_EQ(Open(path, Passphrase("correct horse")), SQLITE_OK) << error_.message;
  EXPECT_EQ(Marker(), kMarker);
}

TEST_F(CipherTest, WrongOrMissingKeyFailsAtOpenAndChangesNothing) {
  const std::string path = Path("b.db");
  Create(path, Passphrase("right"));
  conn_.reset();
  const std::string before = Bytes(path);
  EXPECT_EQ(Open(path, Passphrase("wrong")), WSQ_KEY_WRONG);
  EXPECT_NE(error_.message.find("wrong"), std::string::npos);
  EXPECT_EQ(error_.message.find("right"), std::string::npos) << "no message holds a key";
  EXPECT_EQ(Open(path, Key{}), WSQ_KEY_REQUIRED);
  EXPECT_NE(error_.message.find("encrypted"), std::string::npos);
  EXPECT_EQ(Bytes(path), before);
  EXPECT_FALSE(std::filesystem::exists(path + "-journal"));
  ASSERT_EQ(Open(path, Passphrase("right")), SQLITE_OK) << error_.message;
  EXPECT_EQ(Marker(), kMarker);
}

TEST_F(CipherTest, AKeyForAPlainDatabaseIsRefused) {
  const std::string path = Path("c.db");
  Create(path, Key{});
  conn_.reset();
  EXPECT_EQ(Open(path, Passphrase("k")), WSQ_NOT_ENCRYPTED);
  EXPECT_NE(error_.message.find("rekey"), std::string::npos);
  ASSERT_EQ(Open(path, Key{}), SQLITE_OK);
  EXPECT_EQ(Marker(), kMarker);
}

TEST_F(CipherTest, RawKeyBytesAreTheKeyItself) {
  const std::string path = Path("d.db");
  uint8_t raw[32];
  for (int i = 0; i < 32; i++) raw[i] = static_cast<uint8_t>(i * 7 + 1);
  const Key key{WSQ_KEY_RAW, raw, sizeof raw};
  Create(path, key);
  conn_.reset();
  const std::string as_text(reinterpret_cast<const char*>(raw), sizeof raw);
  EXPECT_EQ(Open(path, Passphrase(as_text)), WSQ_KEY_WRONG) << "the same bytes as a passphrase";
  ASSERT_EQ(Open(path, key), SQLITE_OK) << error_.message;
  EXPECT_EQ(Marker(), kMarker);
}

TEST_F(CipherTest, RekeyEncryptsChangesAndDecryptsInWalMode) {
  const std::string path = Path("e.db");
  Create(path, Key{});
  ASSERT_EQ(Exec("PRAGMA wal_checkpoint(TRUNCATE)"), SQLITE_OK);
  EXPECT_TRUE(Plaintext(path));
  // Plain -> encrypted, the database staying in WAL mode.
  ASSERT_EQ(conn_->Rekey(Passphrase("one"), &error_), SQLITE_OK) << error_.message;
  ASSERT_EQ(Exec("PRAGMA journal_mode"), SQLITE_OK);
  EXPECT_EQ(result_.rows[0][0].bytes, "wal");
  EXPECT_EQ(Marker(), kMarker);
  conn_.reset();
  EXPECT_FALSE(Plaintext(path));
  EXPECT_EQ(Open(path, Key{}), WSQ_KEY_REQUIRED);
  ASSERT_EQ(Open(path, Passphrase("one")), SQLITE_OK) << error_.message;
  // Encrypted -> another key.
  ASSERT_EQ(conn_->Rekey(Passphrase("two"), &error_), SQLITE_OK) << error_.message;
  ASSERT_EQ(Exec("INSERT INTO t VALUES ('after')"), SQLITE_OK);
  conn_.reset();
  EXPECT_EQ(Open(path, Passphrase("one")), WSQ_KEY_WRONG);
  ASSERT_EQ(Open(path, Passphrase("two")), SQLITE_OK) << error_.message;
  ASSERT_EQ(Exec("SELECT count(*) FROM t"), SQLITE_OK);
  EXPECT_EQ(result_.rows[0][0].i, 2);
  // Encrypted -> plain.
  ASSERT_EQ(conn_->Rekey(Key{}, &error_), SQLITE_OK) << error_.message;
  conn_.reset();
  ASSERT_EQ(Open(path, Key{}), SQLITE_OK) << error_.message;
  ASSERT_EQ(Exec("SELECT count(*) FROM t"), SQLITE_OK);
  EXPECT_EQ(result_.rows[0][0].i, 2);
  ASSERT_EQ(Exec("PRAGMA wal_checkpoint(TRUNCATE)"), SQLITE_OK);
  EXPECT_TRUE(Plaintext(path));
}

TEST_F(CipherTest, RekeyInsideATransactionIsRefused) {
  const std::string path = Path("f.db");
  Create(path, Passphrase("k"));
  ASSERT_EQ(Exec("BEGIN"), SQLITE_OK);
  EXPECT_EQ(conn_->Rekey(Passphrase("other"), &error_), SQLITE_MISUSE);
  ASSERT_EQ(Exec("ROLLBACK"), SQLITE_OK);
  conn_.reset();
  ASSERT_EQ(Open(path, Passphrase("k")), SQLITE_OK) << error_.message;
}

TEST_F(CipherTest, ExportGivesTheEncryptedFileAsItIsOnDisk) {
  const std::string path = Path("g.db");
  Create(path, Passphrase("k"));
  unsigned char* data = nullptr;
  int64_t size = 0;
  ASSERT_EQ(conn_->Export(&data, &size, &error_), SQLITE_OK) << error_.message;
  const std::string exported(reinterpret_cast<const char*>(data), static_cast<size_t>(size));
  sqlite3_free(data);
  EXPECT_EQ(exported, Bytes(path)) << "the WAL was checkpointed into the file first";
  EXPECT_EQ(exported.find(kMarker), std::string::npos);
  EXPECT_NE(exported.substr(0, 16), std::string("SQLite format 3\0", 16));
  EXPECT_EQ(Marker(), kMarker) << "the connection goes on";
}

TEST_F(CipherTest, TwoConnectionsKeyingOneNewDatabaseAgreeOnItsSalt) {
  // Each connection that keys an empty file makes a salt of its own: the first one's must be the
  // file's before the second opens, or the second reads every page with the wrong key.
  const std::string path = Path("new.db");
  std::unique_ptr<Connection> first;
  ASSERT_EQ(Connection::Open(path, kCreate, "", Passphrase("k"), &first, &error_), SQLITE_OK)
      << error_.message;
  ASSERT_EQ(Open(path, Passphrase("k")), SQLITE_OK) << error_.message;
  ByteWriter out;
  ASSERT_EQ(first->Exec("CREATE TABLE t(v); INSERT INTO t VALUES ('" + std::string(kMarker) + "')",
                        nullptr, 0, WSQ_RUN_ROWS, &out, &error_),
            SQLITE_OK)
      << error_.message;
  EXPECT_EQ(Marker(), kMarker) << "the second connection reads what the first wrote";
  first.reset();
  conn_.reset();
  EXPECT_EQ(Open(path, Passphrase("other")), WSQ_KEY_WRONG);
  EXPECT_FALSE(Plaintext(path));
}

TEST_F(CipherTest, DeletedContentIsOverwrittenWhereSqliteWritesAnyway) {
  // secure_delete FAST (2) after open and after a rekey, where SQLite3MC turns it fully on.
  const std::string path = Path("h.db");
  Create(path, Passphrase("k"));
  ASSERT_EQ(Exec("PRAGMA secure_delete"), SQLITE_OK);
  EXPECT_EQ(result_.rows[0][0].i, 2);
  ASSERT_EQ(conn_->Rekey(Passphrase("k2"), &error_), SQLITE_OK) << error_.message;
  ASSERT_EQ(Exec("PRAGMA secure_delete"), SQLITE_OK);
  EXPECT_EQ(result_.rows[0][0].i, 2);
  conn_.reset();
  ASSERT_EQ(Open(path, Passphrase("k2")), SQLITE_OK) << error_.message;
  ASSERT_EQ(Exec("PRAGMA secure_delete"), SQLITE_OK);
  EXPECT_EQ(result_.rows[0][0].i, 2);
  ASSERT_EQ(Exec("PRAGMA secure_delete = ON; PRAGMA secure_delete"), SQLITE_OK);
  EXPECT_EQ(result_.rows[0][0].i, 1) << "the user's setting holds";
}

TEST(ChaCha20, FourBlocksAtATimeGiveSqleetsKeyStream) {
  // The same bytes as SQLite3MC's own ChaCha20 (the format's), for every length up to 4 KiB
  // around the four-block steps, at unaligned addresses, and with the block counter wrapping.
  uint8_t key[32];
  uint8_t nonce[12];
  for (int i = 0; i < 32; i++) key[i] = static_cast<uint8_t>(i * 37 + 11);
  for (int i = 0; i < 12; i++) nonce[i] = static_cast<uint8_t>(i * 101 + 3);
  std::vector<uint8_t> ours(4200);
  std::vector<uint8_t> theirs(4200);
  for (size_t n = 0; n <= 4096; n += n < 600 ? 1 : 61) {
    for (const uint32_t counter : {0u, 1u, 0xfffffffeu}) {
      for (size_t i = 0; i < n + 3; i++) ours[i] = theirs[i] = static_cast<uint8_t>(i * 13 + n);
      wsq_test_chacha20_xor(0, ours.data() + 3, n, key, nonce, counter);
      wsq_test_chacha20_xor(1, theirs.data() + 3, n, key, nonce, counter);
      ASSERT_EQ(ours, theirs) << n << " bytes from block " << counter;
    }
  }
}

TEST_F(CipherTest, TheBuildSaysItEncrypts) { EXPECT_EQ(wsq_has_cipher(), 1); }

}  // namespace
}  // namespace wsq
