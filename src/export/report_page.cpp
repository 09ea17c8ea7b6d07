#include "export/report_page.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "export/report_assets.hpp"

namespace migpower {
namespace {

// Inline scripts and styles only; nothing may be fetched, sent or framed.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; font-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'";

// JSON inside <script type="application/json">: a '<' in a string could close the element
// ("</script>"), so every '<' becomes its JSON escape.
std::string script_json(const nlohmann::json& data) {
  const std::string text = data.dump();
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

void write_html_page(std::ostream& out, std::string_view title, std::string_view body,
                     const nlohmann::json& data) {
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << R"(<meta http-equiv="Content-Security-Policy" content=")" << kContentSecurityPolicy
      << "\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<meta name=\"generator\" content=\"migpower 0.1.0\">\n"
      << "<title>" << html_escape(title) << "</title>\n"
      << "<style>\n"
      << report_uplot_css() << "\n"
      << report_page_css() << "</style>\n</head>\n<body>\n"
      << body << "\n<script type=\"application/json\" id=\"migpower-data\">" << script_json(data)
      << "</script>\n<script>\n"
      << report_uplot_js() << "\n</script>\n<script>\n"
      << report_page_js() << "</script>\n</body>\n</html>\n";
}

int decimals_for(double max_abs) {
  if (!std::isfinite(max_abs) || max_abs <= 0.0) return 3;
  const int digits = static_cast<int>(std::floor(std::log10(max_abs)));
  return std::clamp(3 - digits, 1, 6);
}

std::string fixed(double value, int decimals) {
  if (std::isnan(value)) return "";
  const double rounded = std::round(value * std::pow(10.0, decimals)) / std::pow(10.0, decimals);
  return fmt::format("{:.{}f}", rounded == 0.0 ? 0.0 : rounded, decimals);  // no "-0.00"
}

std::string duration_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0.0) return "";
  if (seconds < 60.0) return fmt::format("{:g} s", std::round(seconds * 10.0) / 10.0);
  const auto whole = static_cast<long long>(std::llround(seconds));
  const long long days = whole / 86400;
  const long long hours = whole % 86400 / 3600;
  const long long minutes = whole % 3600 / 60;
  if (days > 0) return fmt::format("{} d {} h {} min", days, hours, minutes);
  if (hours > 0) return fmt::format("{} h {} min", hours, minutes);
  return fmt::format("{} min {} s", minutes, whole % 60);
}

nlohmann::json plot_value(double value, int decimals) {
  if (!std::isfinite(value)) return nullptr;
  const double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

}  // namespace migpower
