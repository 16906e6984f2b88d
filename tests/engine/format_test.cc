// The pure %-format engine (the libFuzzer target's code), without V8.
#include "engine/api/format.h"

#include <gtest/gtest.h>

#include <vector>

namespace zinnia::engine {
namespace {

FormatArg str(std::string s) { return {FormatArg::Kind::kString, std::move(s), 0}; }
FormatArg num(double d, std::string text) { return {FormatArg::Kind::kNumber, std::move(text), d}; }
FormatArg obj() { return {FormatArg::Kind::kOther, "", 0}; }

std::string fmt(std::vector<FormatArg> args) {
  return format_console(args, [](std::size_t i, char mode) {
    return std::string("<") + mode + std::to_string(i) + ">";
  });
}

TEST(Format, Specifiers) {
  EXPECT_EQ(fmt({str("%s=%d"), str("a"), num(3.7, "3.7")}), "a=3");
  EXPECT_EQ(fmt({str("%i|%f"), str(" 12abc"), str("2.5e1x")}), "12|25");
  EXPECT_EQ(fmt({str("%o %O %j"), obj(), obj(), obj()}), "<o1> <O2> <j3>");
  EXPECT_EQ(fmt({str("%s"), obj()}), "<s1>");
  EXPECT_EQ(fmt({str("%c%s"), str("css"), str("x")}), "x");
  EXPECT_EQ(fmt({str("%% %s"), str("a")}), "% a");
  EXPECT_EQ(fmt({str("%d"), obj()}), "NaN");
  EXPECT_EQ(fmt({str("%d"), num(-1e21, "-1e+21")}), "-1e+21");
}

TEST(Format, LeftoversAndEdges) {
  EXPECT_EQ(fmt({str("%s %s"), str("a")}), "a %s");
  EXPECT_EQ(fmt({str("a"), str("b"), obj()}), "a b <i2>");
  EXPECT_EQ(fmt({str("%")}), "%");
  EXPECT_EQ(fmt({str("%%")}), "%%");  // one argument: no formatting (WHATWG)
  EXPECT_EQ(fmt({str("50%"), str("x")}), "50% x");
  EXPECT_EQ(fmt({str("%z"), str("x")}), "%z x");
  EXPECT_EQ(fmt({obj(), str("%s")}), "<i0> %s");
  EXPECT_EQ(fmt({}), "");
}

}  // namespace
}  // namespace zinnia::engine
