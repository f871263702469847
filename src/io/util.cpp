#include "io/util.hpp"

#include <zip.h>

#include <fast_float/fast_float.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <system_error>

namespace hiili::io::detail {

namespace fs = std::filesystem;

std::string display(const fs::path& path) { return path.string(); }

void fail(std::string_view file, std::string_view what) {
  std::string message(file);
  message += ": ";
  message += what;
  throw FormatError(message);
}

void fail(std::string_view file, std::string_view where, std::string_view what) {
  std::string message(file);
  message += ": ";
  message += where;
  message += ": ";
  message += what;
  throw FormatError(message);
}

std::string quote(std::string_view text, std::size_t max) {
  std::string out = "'";
  std::size_t shown = 0;
  for (unsigned char c : text) {
    if (shown++ == max) {
      out += "...";
      break;
    }
    if (c == '\\' || c == '\'') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += "'";
  return out;
}

std::string read_file(const fs::path& path, std::uint64_t max_bytes) {
  const std::string name = display(path);
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) fail(name, "no such file");
  if (fs::is_directory(status)) fail(name, "is a folder, expected a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(name, "cannot be opened for reading");
  std::string data;
  const auto size = fs::file_size(path, ec);
  if (!ec) {
    if (size > max_bytes)
      fail(name, "is " + std::to_string(size) + " bytes, more than the limit of " +
                     std::to_string(max_bytes));
    data.reserve(static_cast<std::size_t>(size));
  }
  char buffer[1 << 16];
  while (in) {
    in.read(buffer, sizeof buffer);
    data.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (data.size() > max_bytes)
      fail(name, "is larger than the limit of " + std::to_string(max_bytes) + " bytes");
  }
  if (in.bad()) fail(name, "read error");
  return data;
}

std::string_view text_content(std::string_view file, std::string_view data) {
  auto starts = [&](std::string_view prefix) { return data.substr(0, prefix.size()) == prefix; };
  using namespace std::string_view_literals;
  if (starts("\x00\x00\xFE\xFF"sv) || starts("\xFF\xFE\x00\x00"sv))
    fail(file, "is UTF-32 encoded; only UTF-8 text is read");
  if (starts("\xFE\xFF"sv) || starts("\xFF\xFE"sv))
    fail(file, "is UTF-16 encoded; only UTF-8 text is read");
  if (starts("\xEF\xBB\xBF"sv)) data.remove_prefix(3);
  const auto nul = data.find('\0');
  if (nul != std::string_view::npos)
    fail(file, "byte " + std::to_string(nul), "NUL byte in a text file (binary or UTF-16 data?)");
  return data;
}

std::size_t find_invalid_utf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    std::uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    // Overlong forms, surrogates and values beyond U+10FFFF are invalid.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
      return i;
    i += len;
  }
  return std::string_view::npos;
}

std::optional<double> parse_double(std::string_view token) {
  if (token.empty()) return std::nullopt;
  const char* first = token.data();
  const char* last = first + token.size();
  if (*first == '+') ++first;  // fast_float follows from_chars: no leading '+'
  if (first == last) return std::nullopt;
  double value = 0.0;
  const auto result = fast_float::from_chars(first, last, value);
  if (result.ec != std::errc() || result.ptr != last) return std::nullopt;
  return value;
}

std::optional<std::int64_t> parse_int(std::string_view token) {
  if (token.empty()) return std::nullopt;
  const char* first = token.data();
  const char* last = first + token.size();
  if (*first == '+') ++first;
  std::int64_t value = 0;
  const auto result = std::from_chars(first, last, value);
  if (result.ec != std::errc() || result.ptr != last) return std::nullopt;
  return value;
}

std::string_view trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

void check_dimension(std::string_view file, std::string_view what, std::int64_t value) {
  if (value < 0) fail(file, std::string(what) + " is negative (" + std::to_string(value) + ")");
  if (value > kMaxDimension)
    fail(file, std::string(what) + " " + std::to_string(value) + " is larger than the limit of " +
                   std::to_string(kMaxDimension));
}

// ---- zip --------------------------------------------------------------------------------

namespace {
zip_t* za(void* p) { return static_cast<zip_t*>(p); }

std::string zip_error_text(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}
}  // namespace

ZipArchive::ZipArchive(const fs::path& path) : path_(path) {
  const std::string name = detail::display(path);
  std::error_code ec;
  if (!fs::exists(path, ec)) fail(name, "no such file");
  if (fs::is_directory(path, ec)) fail(name, "is a folder, expected a zip file");
  int code = 0;
  archive_ = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
  if (archive_ == nullptr) fail(name, "not a readable zip archive (" + zip_error_text(code) + ")");
}

ZipArchive::~ZipArchive() {
  if (archive_ != nullptr) zip_discard(za(archive_));
}

std::vector<std::string> ZipArchive::names() const {
  std::vector<std::string> out;
  const zip_int64_t count = zip_get_num_entries(za(archive_), 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    const char* entry = zip_get_name(za(archive_), static_cast<zip_uint64_t>(i), ZIP_FL_ENC_GUESS);
    if (entry != nullptr) out.emplace_back(entry);
  }
  return out;
}

bool ZipArchive::contains(std::string_view name) const {
  return zip_name_locate(za(archive_), std::string(name).c_str(), ZIP_FL_ENC_GUESS) >= 0;
}

std::string ZipArchive::display(std::string_view name) const {
  return detail::display(path_) + "!/" + std::string(name);
}

std::string ZipArchive::read(std::string_view name, std::uint64_t max_bytes) const {
  const std::string shown = display(name);
  const zip_int64_t index = zip_name_locate(za(archive_), std::string(name).c_str(), ZIP_FL_ENC_GUESS);
  if (index < 0) fail(shown, "no such member in the zip archive");
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(za(archive_), static_cast<zip_uint64_t>(index), 0, &st) != 0)
    fail(shown, "cannot read the zip directory entry");
  if ((st.valid & ZIP_STAT_SIZE) && st.size > max_bytes)
    fail(shown, "declares " + std::to_string(st.size) + " bytes, more than the limit of " +
                    std::to_string(max_bytes));
  zip_file_t* file = zip_fopen_index(za(archive_), static_cast<zip_uint64_t>(index), 0);
  if (file == nullptr)
    fail(shown, std::string("cannot open the zip member (") + zip_strerror(za(archive_)) + ")");
  std::string data;
  // The declared size only guides the first reservation, bounded; the buffer grows with the
  // bytes that actually arrive.
  if (st.valid & ZIP_STAT_SIZE)
    data.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(st.size, 64u << 20)));
  char buffer[1 << 16];
  while (true) {
    const zip_int64_t got = zip_fread(file, buffer, sizeof buffer);
    if (got < 0) {
      std::string why = zip_error_strerror(zip_file_get_error(file));
      zip_fclose(file);
      fail(shown, "corrupt zip member (" + why + ")");
    }
    if (got == 0) break;
    data.append(buffer, static_cast<std::size_t>(got));
    if (data.size() > max_bytes) {
      zip_fclose(file);
      fail(shown, "is larger than the limit of " + std::to_string(max_bytes) + " bytes");
    }
    // A zip bomb: far more bytes out than any real array compresses to.
    if ((st.valid & ZIP_STAT_COMP_SIZE) && data.size() > (256u << 20) &&
        data.size() / 2048 > st.comp_size) {
      zip_fclose(file);
      fail(shown, "decompresses to more than 2048 times its compressed size (a zip bomb?)");
    }
  }
  const int closed = zip_fclose(file);
  if (closed != 0) fail(shown, "corrupt zip member (" + zip_error_text(closed) + ")");
  if ((st.valid & ZIP_STAT_SIZE) && data.size() != st.size)
    fail(shown, "truncated zip member: " + std::to_string(data.size()) + " of " +
                    std::to_string(st.size) + " bytes");
  return data;
}

bool looks_like_zip(const fs::path& path) {
  const std::string head = read_prefix(path, 4);
  return head == std::string("PK\x03\x04", 4) || head == std::string("PK\x05\x06", 4);
}

std::string read_prefix(const fs::path& path, std::size_t count) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return {};
  std::ifstream in(path, std::ios::binary);
  std::string data(count, '\0');
  in.read(data.data(), static_cast<std::streamsize>(count));
  data.resize(static_cast<std::size_t>(in.gcount()));
  return data;
}

}  // namespace hiili::io::detail
