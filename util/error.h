#pragma once
#include <string>
#include <string_view>
#include <system_error>

namespace zinnia {

// A std::system_error whose message says what was being done and to what:
// "open /home/u/.spin/app/logs/x/stdout.txt: Permission denied".
[[noreturn]] void throw_errno(std::string_view what, std::string_view subject, int err);
[[noreturn]] void throw_errno(std::string_view what, std::string_view subject);

// "what subject: strerror(err)" without throwing.
std::string errno_message(std::string_view what, std::string_view subject, int err);

}  // namespace zinnia
