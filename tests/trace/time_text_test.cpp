#include "trace/time_text.hpp"

#include <gtest/gtest.h>

namespace migpower {
namespace {

// Expected values computed independently (Python's datetime.fromisoformat(...).timestamp()).
TEST(TimeText, Rfc3339) {
  EXPECT_EQ(parse_time_text("1970-01-01T00:00:00Z"), 0.0);
  EXPECT_EQ(parse_time_text("2026-11-01T00:00:00Z"), 1793491200.0);
  EXPECT_EQ(parse_time_text("2026-11-01t00:00:00z"), 1793491200.0);
  EXPECT_EQ(parse_time_text("2026-11-01 00:00:00+00:00"), 1793491200.0);
  EXPECT_EQ(parse_time_text("2026-11-01T02:00:00.5+02:00"), 1793491200.5);
  EXPECT_EQ(parse_time_text("2026-10-31T19:30:00-04:30"), 1793491200.0);
  EXPECT_DOUBLE_EQ(*parse_time_text("2024-02-29T12:34:56.789Z"), 1709210096.789);
  EXPECT_EQ(parse_time_text("1969-12-31T23:59:59Z"), -1.0);
  EXPECT_EQ(parse_time_text("2000-03-01T00:00:00Z"), 951868800.0);
  EXPECT_EQ(parse_time_text("2026-11-01"), 1793491200.0);  // a date alone: its midnight UTC
}

TEST(TimeText, UnixSeconds) {
  EXPECT_EQ(parse_time_text("1763000000"), 1763000000.0);
  EXPECT_EQ(parse_time_text("1763000000.25"), 1763000000.25);
  EXPECT_EQ(parse_time_text("0"), 0.0);
}

TEST(TimeText, RejectsWhatIsNotATime) {
  for (const char* bad :
       {"", "yesterday", "2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-31T00:00:00Z",
        "2026-11-01T24:00:00Z", "2026-11-01T00:60:00Z", "2026-11-01T00:00:00",
        "2026-11-01T00:00:00+2:00", "2026-11-01T00:00:00Zjunk", "2026-11-01T00:00Z",
        "2026-11-01T00:00:00.Z", "26-11-01T00:00:00Z", "nan", "inf", "1e999"}) {
    EXPECT_FALSE(parse_time_text(bad).has_value()) << bad;
  }
}

TEST(TimeText, Durations) {
  EXPECT_EQ(parse_duration_text("1s"), 1.0);
  EXPECT_EQ(parse_duration_text("500ms"), 0.5);
  EXPECT_EQ(parse_duration_text("1m30s"), 90.0);
  EXPECT_EQ(parse_duration_text("2h"), 7200.0);
  EXPECT_EQ(parse_duration_text("1d12h"), 129600.0);
  EXPECT_EQ(parse_duration_text("1w"), 604800.0);
  EXPECT_EQ(parse_duration_text("1y"), 31536000.0);
  EXPECT_EQ(parse_duration_text("15"), 15.0);
  EXPECT_EQ(parse_duration_text("0.25"), 0.25);
  for (const char* bad :
       {"", "s", "0s", "-1s", "1x", "30s1m", "1s1s", "1.5s", "0", "-2", "1m 30s", "nan"}) {
    EXPECT_FALSE(parse_duration_text(bad).has_value()) << bad;
  }
}

TEST(TimeText, FormatRoundTrips) {
  EXPECT_EQ(format_rfc3339(1793491200.5), "2026-11-01T00:00:00.500Z");
  EXPECT_EQ(format_rfc3339(0.0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(-1.0), "1969-12-31T23:59:59.000Z");
  for (const double t : {951868800.0, 1709210096.789, 4102444800.0}) {
    EXPECT_DOUBLE_EQ(*parse_time_text(format_rfc3339(t)), t);
  }
  EXPECT_EQ(utc_seconds(2026, 11, 1, 10, 0, 0.123), 1793527200.123);
}

}  // namespace
}  // namespace migpower
