// The composition root's entry point: parses the command line and hands over
// to one command. Flags live here and nowhere else.
#include "commands.hpp"
#include "version.hpp"

#include <boost/program_options.hpp>

#include <iostream>
#include <string>
#include <vector>

namespace po = boost::program_options;

namespace {

constexpr const char* usage_text =
    "Usage:\n"
    "  tollgate serve        --config FILE\n"
    "  tollgate migrate      --config FILE [--migrations DIR]\n"
    "  tollgate check-config --config FILE\n"
    "  tollgate audit verify --config FILE\n"
    "  tollgate --version | --help\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace tollgate::app;
  std::vector<std::string> words(argv + 1, argv + argc);
  if (words.empty()) {
    std::cerr << usage_text;
    return exit_usage;
  }
  if (words[0] == "--version") {
    std::cout << "tollgate " << tollgate::app::version << "\n";
    return exit_ok;
  }
  if (words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
    std::cout << usage_text;
    return exit_ok;
  }

  std::string command = words[0];
  std::size_t first_option = 1;
  if (command == "audit") {
    if (words.size() < 2 || words[1] != "verify") {
      std::cerr << "tollgate: 'audit' takes the subcommand 'verify'\n" << usage_text;
      return exit_usage;
    }
    command = "audit verify";
    first_option = 2;
  }

  po::options_description described("Options");
  described.add_options()("config", po::value<std::string>(), "config file")(
      "migrations", po::value<std::string>(), "folder of NNNN_name.sql files (migrate only)")("help", "show usage");
  po::variables_map vm;
  try {
    std::vector<std::string> rest(words.begin() + static_cast<std::ptrdiff_t>(first_option), words.end());
    po::store(po::command_line_parser(rest).options(described).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "tollgate " << command << ": " << e.what() << "\n" << usage_text;
    return exit_usage;
  }
  if (vm.count("help")) {
    std::cout << usage_text;
    return exit_ok;
  }
  if (!vm.count("config")) {
    std::cerr << "tollgate " << command << ": --config FILE is required\n" << usage_text;
    return exit_usage;
  }
  if (vm.count("migrations") && command != "migrate") {
    std::cerr << "tollgate " << command << ": --migrations applies to 'migrate' only\n";
    return exit_usage;
  }

  command_args args{vm["config"].as<std::string>(),
                    vm.count("migrations") ? vm["migrations"].as<std::string>() : std::string{}};
  if (command == "serve") return run_serve(args);
  if (command == "migrate") return run_migrate(args);
  if (command == "check-config") return run_check_config(args);
  if (command == "audit verify") return run_audit_verify(args);
  std::cerr << "tollgate: unknown command '" << command << "'\n" << usage_text;
  return exit_usage;
}
