#pragma once
#include <string>
#include <vector>

namespace tollgate {

/// Who made a request, as established by authentication.
struct identity {
  std::string user;                 ///< login name as typed by the user
  std::vector<std::string> groups;  ///< directory group names, nested groups included, sorted
};

}  // namespace tollgate
