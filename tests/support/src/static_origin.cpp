#include "tollgate/testing/static_origin.hpp"

#include "tollgate/testing/net_util.hpp"

#include <filesystem>
#include <stdexcept>

namespace tollgate::testing {

static_origin::static_origin(const std::map<std::string, std::string>& files) : dir_("tollgate-origin") {
  std::filesystem::create_directories(dir_.file("www"));
  for (const auto& [path, content] : files) dir_.write("www/" + path, content);
  port_ = free_port();
  // http.server's own main() keeps a listen backlog of 5, which drops the SYNs of a
  // burst of parallel clients; this one takes a backlog of 1024 and a thread per request.
  static constexpr const char* server_program =
      "import functools, http.server, sys\n"
      "class Server(http.server.ThreadingHTTPServer):\n"
      "    request_queue_size = 1024\n"
      "    daemon_threads = True\n"
      "handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[2])\n"
      "Server(('127.0.0.1', int(sys.argv[1])), handler).serve_forever()\n";
  process_ = child_process::spawn({"python3", "-c", server_program, std::to_string(port_), dir_.file("www")},
                                  spawn_options{.output_file = dir_.file("origin.log"), .env = {}, .run_as_user = {},
                                                .working_dir = {}});
  if (!wait_for_port(port_, std::chrono::seconds(20)))
    throw std::runtime_error("the static origin did not open port " + std::to_string(port_));
}

}  // namespace tollgate::testing
