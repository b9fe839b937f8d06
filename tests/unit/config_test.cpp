#include <gtest/gtest.h>

#include "core/config.h"

using voltedge::normalize_postgres_url;

TEST(Config, AcceptsThePlansSqlalchemyUrlForm) {
    EXPECT_EQ(normalize_postgres_url("postgresql+psycopg2://voltedge:voltedge@postgres:5432/voltedge"),
              "postgresql://voltedge:voltedge@postgres:5432/voltedge");
    EXPECT_EQ(normalize_postgres_url("postgresql://u:p@h/db"), "postgresql://u:p@h/db");
    EXPECT_EQ(normalize_postgres_url("host=h dbname=db"), "host=h dbname=db");
    EXPECT_EQ(normalize_postgres_url("postgresql://u:p+x@h/db"), "postgresql://u:p+x@h/db");  // '+' in a password stays
}
