#include "tollgate/auth/user_name.hpp"

#include <gtest/gtest.h>

using tollgate::auth::fold_user_name;

TEST(fold_user_name, ascii_case_and_spaces) {
  EXPECT_EQ(fold_user_name("alice"), "alice");
  EXPECT_EQ(fold_user_name("Alice"), "alice");
  EXPECT_EQ(fold_user_name("ALICE"), "alice");
  EXPECT_EQ(fold_user_name("alice "), "alice");
  EXPECT_EQ(fold_user_name("  alice  "), "alice");
  EXPECT_EQ(fold_user_name("mary  ann"), "mary ann");  // inner runs are one space, as LDAP matches
  EXPECT_EQ(fold_user_name("   "), "");
  EXPECT_EQ(fold_user_name("a.b_c-d@example.com"), "a.b_c-d@example.com");
}

TEST(fold_user_name, tabs_are_not_spaces) {
  // slapd does not match "alice\t" to alice: neither does the fold.
  EXPECT_EQ(fold_user_name("alice\t"), "alice\t");
}

TEST(fold_user_name, unicode_case_and_compatibility_forms) {
  EXPECT_EQ(fold_user_name("ＡＬＩＣＥ"), "alice");       // fullwidth
  EXPECT_EQ(fold_user_name("ａｌｉｃｅ"), "alice");
  EXPECT_EQ(fold_user_name("ALİCE"), "alice");             // U+0130: slapd matches it to i
  EXPECT_EQ(fold_user_name("JÜRGEN"), "jürgen");
  EXPECT_EQ(fold_user_name("Ju\xCC\x88rgen"), "jürgen");   // u + combining diaeresis: NFKC composes
  EXPECT_EQ(fold_user_name("ΣΩΚΡΑΤΗΣ"), fold_user_name("σωκρατης"));
  EXPECT_EQ(fold_user_name("ﬁona"), "fiona");              // ligature
}

TEST(fold_user_name, unicode_spaces_are_trimmed) {
  EXPECT_EQ(fold_user_name("alice\xC2\xA0"), "alice");       // no-break space
  EXPECT_EQ(fold_user_name("\xE3\x80\x80" "alice"), "alice");  // ideographic space
}

TEST(fold_user_name, distinct_names_stay_distinct) {
  EXPECT_NE(fold_user_name("alice"), fold_user_name("alicé"));
  EXPECT_NE(fold_user_name("alice"), fold_user_name("аlice"));  // Cyrillic а
  EXPECT_NE(fold_user_name("al ice"), fold_user_name("alice"));
}

TEST(fold_user_name, folding_is_idempotent) {
  for (const char* s : {"Alice ", "ＡＬＩＣＥ", "ALİCE", "Straße", "ǅemal"})
    EXPECT_EQ(fold_user_name(fold_user_name(s)), fold_user_name(s)) << s;
}

TEST(fold_user_name, invalid_utf8_folds_ascii_only) {
  EXPECT_EQ(fold_user_name("AL\xFF" "CE"), "al\xFF" "ce");
}
