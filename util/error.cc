#include "util/error.h"

#include <cerrno>
#include <cstring>

namespace zinnia {

std::string errno_message(std::string_view what, std::string_view subject, int err) {
  std::string msg;
  msg.append(what);
  if (!subject.empty()) {
    msg.push_back(' ');
    msg.append(subject);
  }
  msg.append(": ");
  msg.append(std::strerror(err));
  return msg;
}

void throw_errno(std::string_view what, std::string_view subject, int err) {
  throw std::system_error(err, std::generic_category(),
                          std::string(what) + (subject.empty() ? "" : " " + std::string(subject)));
}

void throw_errno(std::string_view what, std::string_view subject) {
  throw_errno(what, subject, errno);
}

}  // namespace zinnia
