#include "export/report_writers.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "export/report_assets.hpp"
#include "export/report_page.hpp"

namespace migpower {
namespace {

class FramesSource final : public ReportSource {
 public:
  explicit FramesSource(std::vector<ReportFrame> frames) : frames_(std::move(frames)) {}
  [[nodiscard]] const ReportSourceInfo& info() const override { return info_; }
  bool next(ReportFrame& out) override {
    if (next_ == frames_.size()) return false;
    out = frames_[next_++];
    return true;
  }

 private:
  std::vector<ReportFrame> frames_;
  std::size_t next_ = 0;
  ReportSourceInfo info_{"trace <a>.csv", "online", "slices"};
};

// One card, two instances for an hour at 1 s: a 3g at 150 W labelled `label`, an idle 1g at 20 W.
Report hour_report(const std::string& label, ReportSettings settings = {}) {
  std::vector<ReportFrame> frames;
  for (int i = 0; i <= 3600; ++i) {
    const double dt = i == 0 ? 0.0 : 1.0;
    ReportFrame f;
    f.timestamp_s = 1767225600.0 + i;
    f.gpu_uuid = "GPU-a";
    f.gpu_model = "NVIDIA A100-SXM4-40GB";
    f.card_compute_slices = 7;
    f.has_power = true;
    f.card_power_w = 170.0;
    f.interval_s = dt;
    f.card_energy_j = 170.0 * dt;
    ReportInstanceRow a;
    a.gpu_i_id = 1;
    a.profile = "3g.20gb";
    a.compute_slices = 3;
    a.workload = label;
    a.power_w = a.dynamic_w = 150.0;
    a.energy_j = a.dynamic_energy_j = 150.0 * dt;
    ReportInstanceRow b;
    b.gpu_i_id = 2;
    b.profile = "1g.5gb";
    b.compute_slices = 1;
    b.power_w = b.static_w = 20.0;
    b.energy_j = b.static_energy_j = 20.0 * dt;
    f.instances = {a, b};
    frames.push_back(std::move(f));
  }
  FramesSource source(frames);
  return build_report(source, settings);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(ReportCsv, OneRowPerGroupWithEveryColumn) {
  ReportSettings settings;
  settings.carbon_g_per_kwh = 200.0;
  settings.price_per_kwh = 0.5;
  std::ostringstream out;
  write_report_csv(out, hour_report("llm, serving", settings));
  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0],
            "group_by,group,members,instants,energy_kwh,static_kwh,dynamic_kwh,energy_sd_kwh,"
            "share_pct,mean_power_w,peak_power_w,carbon_kg,market_carbon_kg,cost,embodied_kg,"
            "sci_kg,from,to,method,idle_policy");
  // 150 W for an hour: 0.15 kWh, 30 g at 200 g/kWh, 0.075 at 0.5 per kWh.
  EXPECT_EQ(lines[1],
            "tenant,\"llm, serving\",GPU-a/1 3g.20gb,3601,0.150000,0.000000,0.150000,,88.235,"
            "150.000,150.000,0.030000,,0.075000,,,2026-01-01T00:00:00.000Z,"
            "2026-01-01T01:00:00.000Z,online,slices");
  EXPECT_EQ(lines[2].substr(0, 46), "tenant,GPU-a/2,GPU-a/2 1g.5gb,3601,0.020000,0.");
}

TEST(ReportJson, StatesTheSettingsAndTheTotals) {
  ReportSettings settings;
  settings.group_by = ReportGrouping::instance;
  settings.embodied_kgco2e = 1000.0;
  const nlohmann::json doc = report_json(hour_report("llm", settings));
  EXPECT_EQ(doc["group_by"], "instance");
  EXPECT_EQ(doc["method"], "online");
  EXPECT_EQ(doc["carbon_g_per_kwh"], 475.0);
  EXPECT_DOUBLE_EQ(doc["energy_j"].get<double>(), 170.0 * 3600.0);
  ASSERT_EQ(doc["groups"].size(), 2u);
  EXPECT_EQ(doc["groups"][0]["group"], "GPU-a/1 3g.20gb llm");
  EXPECT_DOUBLE_EQ(doc["groups"][0]["energy_kwh"].get<double>(), 0.15);
  EXPECT_TRUE(doc["groups"][0]["sci_kg"].is_number());
  EXPECT_TRUE(doc["groups"][0]["market_carbon_kg"].is_null());
  EXPECT_EQ(doc["cards"][0]["frames"], 3601);
  EXPECT_EQ(doc["lifetime_years"], 4.0);
}

TEST(ReportHtml, IsOneFileThatLoadsNothing) {
  std::ostringstream out;
  write_report_html(out, hour_report("llm"));
  const std::string html = out.str();
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("Content-Security-Policy\" content=\"default-src 'none';"),
            std::string::npos);
  // The chart library and the page's script are inside, whole.
  EXPECT_NE(html.find(report_uplot_js()), std::string::npos);
  EXPECT_NE(html.find(report_page_js()), std::string::npos);
  EXPECT_GT(report_uplot_js().size(), 30000u);
  // Nothing refers to anything outside: no src, href, url() or @import.
  EXPECT_FALSE(std::regex_search(html, std::regex(R"((\ssrc\s*=|\shref\s*=|@import))")));
  EXPECT_EQ(html.find("url("), std::string::npos);
}

TEST(ReportHtml, ShowsEveryPlotAndTheGroupTable) {
  ReportSettings settings;
  settings.price_per_kwh = 0.3;
  settings.currency = "EUR";
  std::ostringstream out;
  write_report_html(out, hour_report("llm", settings));
  const std::string html = out.str();
  EXPECT_NE(html.find("data-plot=\"0\""), std::string::npos);  // the card's stacked power
  EXPECT_NE(html.find("data-plot=\"1\""), std::string::npos);  // energy bars
  EXPECT_NE(html.find("data-plot=\"2\""), std::string::npos);  // carbon bars
  EXPECT_EQ(html.find("data-plot=\"3\""), std::string::npos);
  EXPECT_NE(html.find("<td data-column=\"energy_kwh\">0.1500</td>"), std::string::npos);
  EXPECT_NE(html.find("<th data-column=\"cost\">cost EUR</th>"), std::string::npos);
  EXPECT_EQ(html.find("data-column=\"market_carbon_kg\""), std::string::npos);  // not given
  EXPECT_NE(html.find("placeholder"), std::string::npos) << "the default intensity says so";
}

TEST(ReportHtml, LabelsCannotBreakOutOfThePage) {
  std::ostringstream out;
  write_report_html(out, hour_report("</script><script>alert(1)</script>"));
  const std::string html = out.str();
  EXPECT_EQ(html.find("<script>alert(1)"), std::string::npos);
  EXPECT_NE(html.find("&lt;/script&gt;&lt;script&gt;alert(1)"), std::string::npos);  // tables
  EXPECT_NE(html.find("\\u003c/script>\\u003cscript>alert(1)"), std::string::npos);  // data
  // The source's name is escaped in the title and the facts too.
  EXPECT_NE(html.find("trace &lt;a&gt;.csv"), std::string::npos);
}

TEST(ReportPage, FormatsNumbersForPeople) {
  EXPECT_EQ(decimals_for(0.05), 5);
  EXPECT_EQ(decimals_for(12.0), 2);
  EXPECT_EQ(decimals_for(25000.0), 1);
  EXPECT_EQ(decimals_for(0.0000001), 6);
  EXPECT_EQ(fixed(-0.00001, 2), "0.00");
  EXPECT_EQ(fixed(2.5, 3), "2.500");
  EXPECT_EQ(duration_text(86400.0), "1 d 0 h 0 min");
  EXPECT_EQ(duration_text(600.0), "10 min 0 s");
  EXPECT_EQ(duration_text(12.5), "12.5 s");
  EXPECT_EQ(html_escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
}

}  // namespace
}  // namespace migpower
