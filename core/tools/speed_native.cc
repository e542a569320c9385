// The speed suite natively, the limit the wasm builds are measured against: the same SQLite
// 3.54.1 amalgamation at -O2, each test script run with sqlite3_exec on a file (journal mode WAL,
// synchronous FULL: web-sqlite's defaults for durability "full") and in memory.
//
//   wsq_speed_native <directory of NN.sql files> <scratch directory> <runs>
// prints {"file": [[ms per test] per run], "memory": [...]} as JSON.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "web_sqlite/sqlite.h"

namespace {

std::vector<double> RunOnce(const std::vector<std::string>& tests, const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    std::fprintf(stderr, "open %s: %s\n", path.c_str(), sqlite3_errmsg(db));
    std::exit(1);
  }
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL", nullptr, nullptr, nullptr);
  std::vector<double> times;
  for (const std::string& sql : tests) {
    auto start = std::chrono::steady_clock::now();
    char* error = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      std::fprintf(stderr, "test %zu: %s\n", times.size() + 1, error);
      std::exit(1);
    }
    times.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
  }
  sqlite3_close(db);
  return times;
}

void Print(const char* name, const std::vector<std::vector<double>>& runs, bool last) {
  std::printf("\"%s\": [", name);
  for (size_t r = 0; r < runs.size(); ++r) {
    std::printf("%s[", r ? "," : "");
    for (size_t i = 0; i < runs[r].size(); ++i) std::printf("%s%.3f", i ? "," : "", runs[r][i]);
    std::printf("]");
  }
  std::printf("]%s", last ? "" : ", ");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: wsq_speed_native <tests dir> <scratch dir> <runs>\n");
    return 2;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(argv[1])) files.push_back(entry);
  std::sort(files.begin(), files.end());
  std::vector<std::string> tests;
  for (const auto& file : files) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    tests.push_back(text.str());
  }
  int runs = std::atoi(argv[3]);
  std::vector<std::vector<double>> on_file, in_memory;
  for (int r = 0; r < runs; ++r) {
    std::string path = std::string(argv[2]) + "/speed-" + std::to_string(r) + ".db";
    std::filesystem::remove(path);
    for (const char* side : {"-journal", "-wal", "-shm"}) std::filesystem::remove(path + side);
    on_file.push_back(RunOnce(tests, path));
    in_memory.push_back(RunOnce(tests, ":memory:"));
  }
  std::printf("{");
  Print("file", on_file, false);
  Print("memory", in_memory, true);
  std::printf("}\n");
  return 0;
}
