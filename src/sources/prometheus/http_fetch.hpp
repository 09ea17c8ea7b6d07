#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "sources/live_clock.hpp"

namespace httplib {
class Client;
}

namespace migpower {

// How patient an HTTP GET is. Every wait is bounded, so a hung endpoint costs at most about
// attempts * (connect_timeout_s + total_timeout_s) plus the back-off sleeps.
struct HttpOptions {
  double connect_timeout_s = 2.0;
  double read_timeout_s = 5.0;    // the longest silence while reading
  double total_timeout_s = 30.0;  // the longest a response body may take to arrive
  int attempts = 4;               // the first try and three retries
  double backoff_initial_s = 0.25;
  double backoff_factor = 2.0;
  double backoff_max_s = 4.0;
  std::size_t max_body_bytes = std::size_t{256} << 20;
};

// An HTTP answer that is not 200 and is not worth retrying (404, 400, ...): the status and the
// start of the body, for messages (the Prometheus API puts its error text there).
class HttpStatusError : public InputError {
 public:
  HttpStatusError(const std::string& message, int status, std::string body)
      : InputError(message), status_(status), body_(std::move(body)) {}
  [[nodiscard]] int status() const { return status_; }
  [[nodiscard]] const std::string& body() const { return body_; }

 private:
  int status_;
  std::string body_;
};

// A URL cut where cpp-httplib wants it: "http://host:9400" and "/metrics?x=1".
struct SplitUrl {
  std::string origin;  // scheme://host[:port]
  std::string target;  // path and query, at least "/"
};
// Adds "http://" when the scheme is missing. Throws InputError for an empty host or a scheme
// other than http and https.
[[nodiscard]] SplitUrl split_url(std::string_view url);

// GETs from one origin with timeouts, and retries connection failures, timeouts and 5xx/429
// answers with exponential back-off (slept on the given clock, cut short by `stop`). The body of
// a 200 answer is streamed to a callback as it arrives.
class HttpFetcher {
 public:
  HttpFetcher(std::string origin, HttpOptions options, LiveClock& clock,
              const std::atomic<bool>* stop = nullptr);
  ~HttpFetcher();
  HttpFetcher(const HttpFetcher&) = delete;
  HttpFetcher& operator=(const HttpFetcher&) = delete;

  // `restart` is called before each attempt (a consumer resets its parser there), `on_body` with
  // each chunk of a 200 answer. An exception from either is not retried: it propagates as is.
  // After the last failed attempt throws InputError naming the URL, the cause and the attempts;
  // a 4xx answer other than 429 throws HttpStatusError at once. Returns true once a whole 200
  // answer was read, false when `stop` was set during a back-off.
  bool get(const std::string& target, const std::function<void()>& restart,
           const std::function<void(std::string_view)>& on_body);

  // Attempts made by the last get().
  [[nodiscard]] int last_attempts() const { return last_attempts_; }
  [[nodiscard]] const std::string& origin() const { return origin_; }

 private:
  std::string origin_;
  HttpOptions options_;
  LiveClock& clock_;
  const std::atomic<bool>* stop_;
  std::unique_ptr<httplib::Client> client_;
  int last_attempts_ = 0;
};

}  // namespace migpower
