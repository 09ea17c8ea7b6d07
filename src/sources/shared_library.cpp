#include "sources/shared_library.hpp"

#include <dlfcn.h>

#include <cstdlib>

namespace migpower {

SharedLibrary::SharedLibrary(const std::string& path)
    : handle_(::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) {
  if (handle_ == nullptr) {
    const char* reason = ::dlerror();
    if (reason != nullptr) open_error_ = reason;
  }
}

SharedLibrary::~SharedLibrary() {
  if (handle_ != nullptr) ::dlclose(handle_);
}

void* SharedLibrary::find(const char* name) const {
  return handle_ != nullptr ? ::dlsym(handle_, name) : nullptr;
}

std::string library_path_from_env(const char* variable, const char* fallback) {
  const char* path = std::getenv(variable);
  return path != nullptr && *path != '\0' ? std::string(path) : std::string(fallback);
}

std::string call_failure_message(std::string_view call, std::string_view meaning,
                                 std::string_view api, int code, const char* detail) {
  std::string text(call);
  text += ": ";
  text += meaning;
  text += " (";
  text += api;
  text += " error ";
  text += std::to_string(code);
  if (detail != nullptr && *detail != '\0') {
    text += ": ";
    text += detail;
  }
  text += ")";
  return text;
}

}  // namespace migpower
