#include "sources/prometheus/prometheus_api.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "sources/prometheus/fixture_http_server.hpp"

namespace migpower {
namespace {

// A server whose query_range always gives the same canned answer.
class CannedPrometheus : public ::testing::Test {
 protected:
  void serve(std::string body) {
    http_.server().Get("/api/v1/query_range",
                       [body](const httplib::Request&, httplib::Response& res) {
                         res.set_content(body, "application/json");
                       });
    http_.start();
  }
  std::string error_of() {
    HttpOptions options;
    options.attempts = 1;
    PrometheusApi api(http_.url(""), options);
    std::vector<PromRangeSeries> out;
    try {
      api.query_range("up", 1000, 2000, 1000, out);
    } catch (const InputError& e) {
      return e.what();
    }
    ADD_FAILURE() << "no error";
    return {};
  }
  test::FixtureHttpServer http_;
};

TEST_F(CannedPrometheus, NotJson) {
  serve("<html>login</html>");
  EXPECT_NE(error_of().find("not JSON"), std::string::npos);
}

TEST_F(CannedPrometheus, NotAMatrix) {
  serve(R"({"status":"success","data":{"resultType":"vector","result":[]}})");
  EXPECT_NE(error_of().find("expected a matrix, got 'vector'"), std::string::npos);
}

TEST_F(CannedPrometheus, ErrorStatusInA200) {
  serve(R"({"status":"error","errorType":"timeout","error":"query timed out"})");
  EXPECT_NE(error_of().find("timeout: query timed out"), std::string::npos) << error_of();
}

TEST_F(CannedPrometheus, MalformedPoint) {
  serve(R"({"status":"success","data":{"resultType":"matrix","result":[)"
        R"({"metric":{"__name__":"up"},"values":[[1,"1"],[2]]}]}})");
  EXPECT_NE(error_of().find("a point is not [time, value]"), std::string::npos) << error_of();
}

TEST_F(CannedPrometheus, ParsesTheMatrixAndIgnoresExtras) {
  serve(R"({"status":"success","warnings":["w"],"data":{"resultType":"matrix","result":[)"
        R"({"metric":{"__name__":"up","job":"a"},"values":[[1.5,"1"],[2.5,"+Inf"]]},)"
        R"({"metric":{},"values":[[1,"0.25"]],"histograms":[[1,{"count":"2"}]]}]}})");
  PrometheusApi api(http_.url(""), HttpOptions{});
  std::vector<PromRangeSeries> out(5);  // reused storage shrinks to the answer
  api.query_range("up", 1000, 3000, 1000, out);
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[0].labels,
            (std::vector<std::pair<std::string, std::string>>{{"__name__", "up"}, {"job", "a"}}));
  EXPECT_EQ(out[0].times_ms, (std::vector<std::int64_t>{1500, 2500}));
  EXPECT_EQ(out[0].values[1], INFINITY);
  EXPECT_TRUE(out[1].labels.empty());
  EXPECT_EQ(out[1].values, std::vector<double>{0.25});
}

TEST(UrlEncode, KeepsUnreservedEncodesTheRest) {
  EXPECT_EQ(url_encode("{__name__=~\"a|b\"}"), "%7B__name__%3D~%22a%7Cb%22%7D");
  EXPECT_EQ(url_encode("AZaz09-_.~ /"), "AZaz09-_.~%20%2F");
}

}  // namespace
}  // namespace migpower
