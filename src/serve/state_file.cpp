#include "serve/state_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace migpower {
namespace {

constexpr std::string_view kFormat = "migpower-agent-state";
constexpr int kFormatVersion = 1;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw InputError("cannot write state file " + path + ": " + what + ": " + std::strerror(errno));
}

void fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) fail(path, "open for fsync");
  const int status = ::fsync(fd);
  ::close(fd);
  if (status != 0) fail(path, "fsync");
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view text) {
  const std::string temporary = path + ".tmp";
  {
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail(temporary, "open");
    std::size_t written = 0;
    while (written < text.size()) {
      const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(fd);
        fail(temporary, "write");
      }
      written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
      ::close(fd);
      fail(temporary, "fsync");
    }
    ::close(fd);
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) fail(path, "rename");
  std::string folder = std::filesystem::path(path).parent_path().string();
  fsync_path(folder.empty() ? "." : folder, O_RDONLY | O_DIRECTORY);
}

std::string agent_state_text(const LiveAttribution& attribution, const AgentIdentity& identity) {
  const nlohmann::json document{{"format", kFormat},
                                {"format_version", kFormatVersion},
                                {"migpower_version", identity.version},
                                {"method", identity.method},
                                {"idle_policy", identity.idle_policy},
                                {"cards", attribution.save_state()}};
  return document.dump(1) + "\n";
}

std::optional<std::string> load_agent_state(const std::string& path, const AgentIdentity& identity,
                                            LiveAttribution& attribution) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  const nlohmann::json document = nlohmann::json::parse(text.str(), nullptr, false);
  if (document.is_discarded() || !document.is_object()) return path + " is not a JSON object";
  const auto field = [&](const char* key) {
    return document.contains(key) ? document[key].dump() : std::string("(none)");
  };
  if (document.value("format", "") != kFormat) {
    return path + " is not a migpower agent state file (format " + field("format") + ")";
  }
  if (document.value("format_version", 0) != kFormatVersion) {
    return path + " has format_version " + field("format_version") + "; this migpower reads " +
           std::to_string(kFormatVersion);
  }
  if (document.value("migpower_version", "") != identity.version) {
    return path + " was written by migpower " + field("migpower_version") + ", this is " +
           identity.version;
  }
  if (document.value("method", "") != identity.method ||
      document.value("idle_policy", "") != identity.idle_policy) {
    return path + " was learnt with method " + field("method") + " and idle policy " +
           field("idle_policy") + ", not " + identity.method + " and " + identity.idle_policy;
  }
  if (!document.contains("cards")) return path + ": no \"cards\"";
  try {
    attribution.load_state(document["cards"], path + ": cards");
  } catch (const InputError& error) {
    return std::string(error.what());
  }
  return std::string();
}

}  // namespace migpower
