// Tests of hiili/error.hpp: every hiili::Error message is valid UTF-8 without control bytes,
// whatever bytes of a hostile file it quotes (they are written as \xNN), in every subclass;
// and a reader's message about a Latin-1 file arrives escaped.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "hiili/error.hpp"
#include "hiili/io/matrix_files.hpp"

namespace fs = std::filesystem;
using hiili::detail::escape_message;
using hiili::detail::is_valid_utf8;

namespace {

// The bytes of a string literal, NULs included.
template <std::size_t N>
std::string bytes(const char (&text)[N]) {
  return std::string(text, N - 1);
}

TEST(ErrorMessage, ValidUtf8IsKeptAsItIs) {
  const std::string text = "A.mtx: line 3: \xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\tok\n";
  EXPECT_EQ(escape_message(text), text);
  EXPECT_STREQ(hiili::FormatError(text).what(), text.c_str());
}

TEST(ErrorMessage, InvalidBytesAndControlCharactersAreEscaped) {
  // Latin-1 bytes, a lone continuation byte, a truncated sequence at the end.
  EXPECT_EQ(escape_message("g\xe9n\xe9ral"), "g\\xe9n\\xe9ral");
  EXPECT_EQ(escape_message("a\x80z"), "a\\x80z");
  EXPECT_EQ(escape_message("end \xe2\x82"), "end \\xe2\\x82");
  // Overlong forms, UTF-16 surrogates and code points above U+10FFFF are not UTF-8.
  EXPECT_EQ(escape_message("\xc0\xaf"), "\\xc0\\xaf");
  EXPECT_EQ(escape_message("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");
  EXPECT_EQ(escape_message("\xed\xa0\x80"), "\\xed\\xa0\\x80");
  EXPECT_EQ(escape_message("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");
  // NUL (which would cut what() short), ESC and DEL; tab and newline stay.
  EXPECT_EQ(escape_message(bytes("a\0b\x1b[31m\x7f\t\n")), "a\\x00b\\x1b[31m\\x7f\t\n");
}

TEST(ErrorMessage, EverySubclassEscapes) {
  const std::string raw = bytes("bad \xff\0 byte");
  const std::string escaped = "bad \\xff\\x00 byte";
  EXPECT_EQ(hiili::Error(raw).what(), escaped);
  EXPECT_EQ(hiili::InvalidInputError(raw).what(), escaped);
  EXPECT_EQ(hiili::FormatError(raw).what(), escaped);
  const hiili::SingularMatrixError singular(raw, 4, 1e-20);
  EXPECT_EQ(singular.what(), escaped);
  EXPECT_EQ(singular.column(), 4);
  const hiili::IllConditionedError ill(raw, 1e-3, 1e-18);
  EXPECT_EQ(ill.what(), escaped);
  EXPECT_EQ(ill.residual(), 1e-3);
  EXPECT_TRUE(is_valid_utf8(hiili::FormatError(std::string(300, '\xe9')).what()));
}

TEST(ErrorMessage, ValidityCheck) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("\xc3\xa9\xf4\x8f\xbf\xbf"));
  EXPECT_FALSE(is_valid_utf8("\xe9"));
  EXPECT_FALSE(is_valid_utf8("\xf8\x88\x80\x80\x80"));
}

TEST(ErrorMessage, MatrixMarketLatin1HeaderGivesAnEscapedFormatError) {
  const fs::path file =
      fs::temp_directory_path() / ("hiili_error_" + std::to_string(::getpid()) + ".mtx");
  {
    std::ofstream out(file, std::ios::binary);
    out << "%%MatrixMarket matrix coordinate real g\xe9n\xe9ral\n1 1 1\n1 1 1\n";
  }
  std::string message;
  try {
    hiili::io::read_matrix_market_matrix(file);
  } catch (const hiili::FormatError& e) {
    message = e.what();
  }
  fs::remove(file);
  ASSERT_FALSE(message.empty()) << "no FormatError";
  EXPECT_NE(message.find("g\\xe9n\\xe9ral"), std::string::npos) << message;
  EXPECT_NE(message.find("line 1"), std::string::npos) << message;
  EXPECT_TRUE(is_valid_utf8(message)) << message;
}

}  // namespace
