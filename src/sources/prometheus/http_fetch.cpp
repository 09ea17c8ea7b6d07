#include "sources/prometheus/http_fetch.hpp"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>

namespace migpower {
namespace {

constexpr std::size_t kErrorBodyBytes = 4096;

std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3g s", seconds);
  return text;
}

// One line of a body for a message: the first line, at most 200 bytes.
std::string excerpt(std::string_view body) {
  body = body.substr(0, std::min(body.find('\n'), std::size_t{200}));
  while (!body.empty() && (body.back() == '\r' || body.back() == ' ')) body.remove_suffix(1);
  return std::string(body);
}

// "URL: what happened", built without temporaries.
std::string at_url(const std::string& url, std::string_view what) {
  std::string message = url;
  message.append(": ").append(what);
  return message;
}

std::chrono::microseconds to_micros(double seconds) {
  return std::chrono::microseconds(static_cast<long long>(std::max(seconds, 0.0) * 1e6));
}

void set_timeout(httplib::Client& client, void (httplib::Client::*setter)(time_t, time_t),
                 double seconds) {
  const auto micros = to_micros(seconds).count();
  (client.*setter)(static_cast<time_t>(micros / 1000000), static_cast<time_t>(micros % 1000000));
}

bool is_ssl_error(httplib::Error error) {
  return error == httplib::Error::SSLConnection || error == httplib::Error::SSLLoadingCerts ||
         error == httplib::Error::SSLServerVerification;
}

std::string describe(httplib::Error error, const HttpOptions& options) {
  switch (error) {
    case httplib::Error::Connection:
      return "cannot connect (refused, unreachable or unknown host)";
    case httplib::Error::ConnectionTimeout:
      return "no connection within " + seconds_text(options.connect_timeout_s);
    case httplib::Error::Read:
      return "no complete answer (closed, reset, or silent for " +
             seconds_text(options.read_timeout_s) + ")";
    case httplib::Error::Write:
      return "the request could not be sent";
    case httplib::Error::SSLConnection:
    case httplib::Error::SSLLoadingCerts:
    case httplib::Error::SSLServerVerification:
      return "TLS failed (" + httplib::to_string(error) + ")";
    default:
      return "HTTP client error " + httplib::to_string(error);
  }
}

}  // namespace

SplitUrl split_url(std::string_view url) {
  std::string text;
  if (url.find("://") == std::string_view::npos) text = "http://";
  text.append(url);
  const std::size_t scheme_end = text.find("://");
  const std::string scheme = text.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    throw InputError(std::string(url) + ": only http:// and https:// URLs are supported");
  }
  const std::size_t host_begin = scheme_end + 3;
  const std::size_t path_begin = std::min(text.find_first_of("/?", host_begin), text.size());
  if (path_begin == host_begin) throw InputError(std::string(url) + ": the URL has no host");
  SplitUrl split;
  split.origin = text.substr(0, path_begin);
  // "host?x" has a query but no path: the path is "/".
  std::string target(1, '/');
  target.append(text, path_begin + (text[path_begin] == '/' ? 1 : 0));
  split.target = std::move(target);
  return split;
}

HttpFetcher::HttpFetcher(std::string origin, HttpOptions options, LiveClock& clock,
                         const std::atomic<bool>* stop)
    : origin_(std::move(origin)),
      options_(options),
      clock_(clock),
      stop_(stop),
      client_(std::make_unique<httplib::Client>(origin_)) {
  if (!client_->is_valid()) throw InputError(origin_ + ": not a usable HTTP origin");
  options_.attempts = std::max(options_.attempts, 1);
  set_timeout(*client_, &httplib::Client::set_connection_timeout, options_.connect_timeout_s);
  set_timeout(*client_, &httplib::Client::set_read_timeout, options_.read_timeout_s);
  set_timeout(*client_, &httplib::Client::set_write_timeout, options_.read_timeout_s);
  client_->set_keep_alive(false);  // a fresh connection per request: a stale one cannot hang
}

HttpFetcher::~HttpFetcher() = default;

bool HttpFetcher::get(const std::string& target, const std::function<void()>& restart,
                      const std::function<void(std::string_view)>& on_body) {
  const std::string url = origin_ + target;
  double delay = options_.backoff_initial_s;
  std::string failure;
  const auto first_try = std::chrono::steady_clock::now();
  for (int attempt = 1; attempt <= options_.attempts; ++attempt) {
    last_attempts_ = attempt;
    if (attempt > 1) {
      if (!clock_.sleep_until(clock_.now_s() + delay, stop_)) return false;
      delay = std::min(delay * options_.backoff_factor, options_.backoff_max_s);
    }
    restart();
    int status = -1;
    std::string error_body;
    std::exception_ptr consumer_error;
    std::string abort_reason;
    bool permanent = false;
    std::size_t received = 0;
    const auto deadline = std::chrono::steady_clock::now() + to_micros(options_.total_timeout_s);
    auto result = client_->Get(
        target,
        [&](const httplib::Response& response) {
          status = response.status;
          return true;
        },
        [&](const char* data, std::size_t size) {
          received += size;
          if (received > options_.max_body_bytes) {
            abort_reason =
                "answer larger than " + std::to_string(options_.max_body_bytes) + " bytes";
            permanent = true;
            return false;
          }
          if (std::chrono::steady_clock::now() > deadline) {
            abort_reason = "answer not complete within " + seconds_text(options_.total_timeout_s);
            return false;
          }
          if (status != 200) {
            error_body.append(data, std::min(size, kErrorBodyBytes - std::min(kErrorBodyBytes,
                                                                              error_body.size())));
            return true;
          }
          // Exceptions must not cross the HTTP library: carried out and rethrown below.
          try {
            on_body(std::string_view(data, size));
          } catch (...) {
            consumer_error = std::current_exception();
            return false;
          }
          return true;
        });
    if (consumer_error) std::rethrow_exception(consumer_error);
    if (permanent) throw InputError(at_url(url, abort_reason));
    const httplib::Error error = result.error();
    if (error == httplib::Error::Success && status == 200) return true;
    if (error != httplib::Error::Success) {
      failure = abort_reason.empty() ? describe(error, options_) : abort_reason;
      if (is_ssl_error(error)) throw InputError(at_url(url, failure));
      continue;
    }
    std::string answer = "HTTP ";
    answer += std::to_string(status);
    if (!result->reason.empty()) answer.append(" ").append(result->reason);
    if (!error_body.empty()) answer.append(": ").append(excerpt(error_body));
    if (status >= 500 || status == 429) {
      failure = answer;
      continue;
    }
    throw HttpStatusError(at_url(url, answer), status, std::move(error_body));
  }
  const double spent =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - first_try).count();
  throw InputError(url + ": " + failure + "; gave up after " + std::to_string(options_.attempts) +
                   (options_.attempts == 1 ? " attempt" : " attempts") + " in " +
                   seconds_text(spent));
}

}  // namespace migpower
