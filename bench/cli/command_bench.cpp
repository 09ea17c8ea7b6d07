// Times whole commands against a baseline command in the same run: the harness behind
// bench/run. Each command runs --repeat times with stdout sent to /dev/null; the fastest wall
// time counts (least disturbed by the machine), and the largest peak RSS.
//
//   command_bench --repeat 5 --baseline 'wc -l trace.csv' --rows 1000000 -- migpower attribute ...
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace {

struct Timing {
  double best_seconds = 1e300;
  long peak_rss_kib = 0;
};

std::vector<std::string> split_words(const std::string& command) {
  std::istringstream in(command);
  std::vector<std::string> words;
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

Timing time_command(const std::vector<std::string>& words, int repeat) {
  Timing timing;
  std::vector<char*> argv;
  for (const auto& w : words) argv.push_back(const_cast<char*>(w.c_str()));
  argv.push_back(nullptr);
  for (int i = 0; i < repeat; ++i) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    const auto start = std::chrono::steady_clock::now();
    pid_t pid = 0;
    if (posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
      std::fprintf(stderr, "command_bench: cannot run %s\n", argv[0]);
      std::exit(1);
    }
    int status = 0;
    rusage usage{};
    wait4(pid, &status, 0, &usage);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    posix_spawn_file_actions_destroy(&actions);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "command_bench: %s failed\n", argv[0]);
      std::exit(1);
    }
    timing.best_seconds = std::min(timing.best_seconds, seconds);
    timing.peak_rss_kib = std::max(timing.peak_rss_kib, usage.ru_maxrss);
  }
  return timing;
}

}  // namespace

int main(int argc, char** argv) {
  int repeat = 5;
  double rows = 0;
  double bytes = 0;
  std::string baseline;
  std::vector<std::string> command;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--repeat" && i + 1 < argc) {
      repeat = std::atoi(argv[++i]);
    } else if (arg == "--rows" && i + 1 < argc) {
      rows = std::atof(argv[++i]);
    } else if (arg == "--bytes" && i + 1 < argc) {
      bytes = std::atof(argv[++i]);
    } else if (arg == "--baseline" && i + 1 < argc) {
      baseline = argv[++i];
    } else if (arg == "--") {
      command.assign(argv + i + 1, argv + argc);
      break;
    }
  }
  if (baseline.empty() || command.empty() || repeat < 1) {
    std::fprintf(stderr,
                 "usage: command_bench [--repeat N] [--rows N] [--bytes N] --baseline 'CMD ARGS' "
                 "-- CMD ARGS\n");
    return 2;
  }
  const Timing base = time_command(split_words(baseline), repeat);
  const Timing measured = time_command(command, repeat);
  std::printf("baseline  %-40s %9.3f s  peak RSS %7.1f MB\n", baseline.substr(0, 40).c_str(),
              base.best_seconds, static_cast<double>(base.peak_rss_kib) / 1024.0);
  std::printf("measured  %-40s %9.3f s  peak RSS %7.1f MB\n", command[0].c_str(),
              measured.best_seconds, static_cast<double>(measured.peak_rss_kib) / 1024.0);
  if (rows > 0) std::printf("rows/s    %.3g\n", rows / measured.best_seconds);
  if (bytes > 0) {
    std::printf("MB/s      %.0f (baseline %.0f)\n", bytes / 1e6 / measured.best_seconds,
                bytes / 1e6 / base.best_seconds);
  }
  std::printf("ratio     %.2fx the baseline\n", measured.best_seconds / base.best_seconds);
  return 0;
}
