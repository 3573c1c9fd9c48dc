// `onebill doc`: OpenAttestation v2 documents (DESIGN §6) — template, wrap, wrap-batch, obfuscate, verify.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "api/cli.h"
#include "api/files.h"
#include "api/node_client.h"
#include "crypto/hex.h"
#include "crypto/limits.h"
#include "tradetrust/bill_template.h"
#include "tradetrust/hashing.h"
#include "tradetrust/obfuscate.h"
#include "tradetrust/verify.h"
#include "tradetrust/wrap.h"

namespace onebill::api::cli {
namespace {

using json::Json;
namespace tt = onebill::tradetrust;

// `doc verify --offline`: integrity (and DID signatures) VALID, status and identity not asked.
constexpr int exit_intact_offline = 3;

// Files are never overwritten: a wrapped document names a bill, and replacing one silently loses it.
Status write_new_file(const std::filesystem::path& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return local_fault("storage", "cannot create " + path.string() + ": " + std::strerror(errno));
  std::size_t written = 0;
  while (written < text.size()) {
    ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return local_fault("storage", "cannot write " + path.string() + ": " + std::strerror(errno));
    }
    written += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0)
    return local_fault("storage", "cannot close " + path.string() + ": " + std::strerror(errno));
  return {};
}

std::string pretty(const Json& document) {
  return document.dump(2) + "\n";
}

// One file without --out-dir: print it. Otherwise each is wrapped singly into out_dir/<same name>.
int run_wrap(const std::vector<std::string>& files, const std::string& out_dir) {
  if (out_dir.empty()) {
    if (files.size() != 1)
      return report(invalid("invalid-body", "wrapping several documents needs --out-dir"));
    auto raw = read_json_file(files.front());
    if (!raw) return report(raw.problem());
    auto wrapped = tt::wrap_document(*raw);
    if (!wrapped) return report(wrapped.problem());
    std::cout << pretty(*wrapped);
    return exit_ok;
  }
  std::error_code error;
  std::filesystem::create_directories(out_dir, error);
  if (error) return report(local_fault("storage", "cannot create " + out_dir + ": " + error.message()));
  for (const std::string& file : files) {
    auto raw = read_json_file(file);
    if (!raw) return report(raw.problem());
    auto wrapped = tt::wrap_document(*raw);
    if (!wrapped)
      return report(
          Problem{wrapped.problem().rule, file + ": " + wrapped.problem().detail, wrapped.problem().kind});
    Status written = write_new_file(std::filesystem::path(out_dir) / std::filesystem::path(file).filename(),
                                    pretty(*wrapped));
    if (!written) return report(written.problem());
  }
  return exit_ok;
}

int run_wrap_batch(const std::vector<std::string>& files, const std::string& out_dir) {
  std::vector<Json> raws;
  std::set<std::string> names;
  for (const std::string& file : files) {
    std::string name = std::filesystem::path(file).filename().string();
    if (!names.insert(name).second) {
      return report(invalid("invalid-body", "two inputs are named " + name + "; the outputs would collide"));
    }
    auto raw = read_json_file(file);
    if (!raw) return report(raw.problem());
    raws.push_back(std::move(*raw));
  }
  auto wrapped = tt::wrap_documents(raws);
  if (!wrapped) return report(wrapped.problem());
  std::error_code error;
  std::filesystem::create_directories(out_dir, error);
  if (error) return report(local_fault("storage", "cannot create " + out_dir + ": " + error.message()));
  for (std::size_t i = 0; i < files.size(); ++i) {
    auto path = std::filesystem::path(out_dir) / std::filesystem::path(files[i]).filename();
    Status written = write_new_file(path, pretty((*wrapped)[i]));
    if (!written) return report(written.problem());
  }
  std::cout << "wrapped " << files.size() << " documents into " << out_dir << "; merkleRoot "
            << wrapped->front().at("signature").at("merkleRoot").get<std::string>() << "\n";
  return exit_ok;
}

int run_obfuscate(const std::string& file, const std::vector<std::string>& paths) {
  auto document = read_json_file(file);
  if (!document) return report(document.problem());
  auto obfuscated = tt::obfuscate_document(*document, paths);
  if (!obfuscated) return report(obfuscated.problem());
  std::cout << pretty(*obfuscated);
  return exit_ok;
}

struct TemplateOptions {
  std::string chain = "onebill-demo";
  std::string issuer;
  std::string sea_carrier;
  std::string name;
  std::string domain;
  std::string reference;
  bool straight = false;
};

int run_template(const TemplateOptions& options) {
  tt::BillTemplate terms;
  terms.chain = options.chain;
  if (!options.issuer.empty()) {
    auto issuer = Address::parse(options.issuer);
    if (!issuer) return report(issuer.problem());
    terms.issuer = *issuer;
  }
  terms.sea_carrier = terms.issuer;
  if (!options.sea_carrier.empty()) {
    auto carrier = Address::parse(options.sea_carrier);
    if (!carrier) return report(carrier.problem());
    terms.sea_carrier = *carrier;
  }
  if (!options.name.empty()) terms.issuer_name = options.name;
  if (!options.domain.empty()) terms.issuer_domain = options.domain;
  if (!options.reference.empty()) terms.reference = options.reference;
  terms.to_order = !options.straight;
  Json raw = tt::bill_of_lading_template(terms);
  // The template must itself be a valid onebill block; a bad --chain or --reference shows here.
  auto block = tt::read_onebill_block(raw);
  if (!block) return report(block.problem());
  if (terms.issuer.is_zero()) {
    std::cerr << "note: no --issuer given; replace the zero address in onebill.issuer and legs[].carrier\n";
  }
  std::cout << pretty(raw);
  return exit_ok;
}

int exit_code_of(tt::Verdict verdict) {
  switch (verdict) {
    case tt::Verdict::valid:
      return exit_ok;
    case tt::Verdict::invalid:
      return exit_failed;
    case tt::Verdict::error:
      return exit_error;
    case tt::Verdict::intact_offline:
      return exit_intact_offline;
  }
  return exit_error;
}

// Many files share one exit code: any INVALID, else any ERROR, else any offline-only, else all VALID.
int combine_exit_codes(int a, int b) {
  for (int code : {exit_failed, exit_error, exit_intact_offline}) {
    if (a == code || b == code) return code;
  }
  return exit_ok;
}

void print_verification(const std::string& file, const tt::Verification& result, int code) {
  std::cout << file << "\n";
  for (const tt::Fragment& fragment : result.fragments) {
    std::string type(tt::to_string(fragment.type));
    std::string status(tt::to_string(fragment.status));
    std::cout << "  " << type << std::string(20 - type.size(), ' ') << fragment.name
              << std::string(fragment.name.size() < 24 ? 24 - fragment.name.size() : 1, ' ') << status;
    if (fragment.reason && fragment.reason->code == tt::ReasonCode::skipped) {
      std::cout << "  (" << fragment.reason->message << ")";
    } else if (fragment.reason) {
      std::cout << "  " << tt::to_string(fragment.reason->code) << ": " << fragment.reason->message;
    }
    std::cout << "\n";
  }
  if (result.merkle_root) std::cout << "  merkleRoot (bill id) " << hex::encode(*result.merkle_root) << "\n";
  switch (code) {
    case exit_ok:
      std::cout << "  VALID\n";
      break;
    case exit_failed:
      std::cout << "  INVALID\n";
      break;
    case exit_intact_offline:
      std::cout << "  INTACT (offline: issuance status and issuer identity were not checked; use --node)\n";
      break;
    default:
      std::cout << "  ERROR (the verification could not be completed)\n";
      break;
  }
}

// The verification behind `doc verify`. `ledger` null = offline. HOOK(--node): the node client
// provides a tt::LedgerView over a node's HTTP API and passes it here.
int run_verify(const std::vector<std::string>& files, tt::LedgerView* ledger, bool json_output) {
  int combined = exit_ok;
  for (const std::string& file : files) {
    int code = exit_error;
    auto document = read_json_file(file);
    if (!document) {
      if (json_output) {
        std::cout << Json{{"file", file},
                          {"exit", code},
                          {"error",
                           {{"rule", document.problem().rule}, {"detail", document.problem().detail}}}}
                         .dump()
                  << "\n";
      } else {
        report(document.problem());
      }
    } else {
      tt::Verification result = tt::verify_document(*document, ledger);
      code = exit_code_of(tt::verdict_of(result.fragments));
      if (json_output) {
        Json line = result.to_json();
        line["file"] = file;
        line["exit"] = code;
        std::cout << line.dump() << "\n";
      } else {
        print_verification(file, result, code);
      }
    }
    combined = combine_exit_codes(combined, code);
  }
  std::cout.flush();
  return combined;
}

// `doc verify --node`: the node answers all three fragments from its ledger (POST /v1/documents/verify).
// When the node cannot be asked, integrity is still checked here and status and identity are ERROR.
int run_verify_on_node(const std::vector<std::string>& files, const std::string& node_url, bool json_output) {
  auto client = NodeClient::connect(node_url);
  if (!client) return report(client.problem());
  int combined = exit_ok;
  for (const std::string& file : files) {
    int code = exit_error;
    auto text = read_bounded_file(file);
    if (!text) {
      report(text.problem());
      combined = combine_exit_codes(combined, code);
      continue;
    }
    auto answer = client->post("/v1/documents/verify", *text);
    Result<tt::Verification> verification = answer ? tt::verification_from_json(answer->body)
                                                   : Result<tt::Verification>(answer.problem());
    if (!verification) {
      if (verification.problem().kind != ProblemKind::local_fault) {
        report(Problem{verification.problem().rule, file + ": " + verification.problem().detail});
        combined = combine_exit_codes(combined, code);
        continue;
      }
      // The node is unreachable: what the document alone can show, and the ledger's fragments as ERROR.
      auto document = read_json_file(file);
      if (!document) {
        report(document.problem());
        combined = combine_exit_codes(combined, code);
        continue;
      }
      tt::Verification offline = tt::verify_document(*document, nullptr);
      for (tt::Fragment& fragment : offline.fragments) {
        if (fragment.type == tt::FragmentType::document_integrity) continue;
        fragment.status = tt::FragmentStatus::error;
        fragment.reason = tt::Reason{tt::ReasonCode::ledger_unreachable, verification.problem().detail};
      }
      offline.valid = false;
      verification = std::move(offline);
    }
    code = exit_code_of(tt::verdict_of(verification->fragments));
    if (json_output) {
      Json line = verification->to_json();
      line["file"] = file;
      line["exit"] = code;
      std::cout << line.dump() << "\n";
    } else {
      print_verification(file, *verification, code);
    }
    combined = combine_exit_codes(combined, code);
  }
  return combined;
}

}  // namespace

void add_doc_commands(CLI::App& root, CommandContext& context) {
  CLI::App* doc = root.add_subcommand(
      "doc", "OpenAttestation v2 / TradeTrust documents: template, wrap, obfuscate, verify");
  doc->require_subcommand(1);

  auto* wrap = doc->add_subcommand("wrap", "Wrap a raw document singly (prints the wrapped document)");
  auto wrap_files = std::make_shared<std::vector<std::string>>();
  auto wrap_out = std::make_shared<std::string>();
  wrap->add_option("RAW", *wrap_files, "raw document (JSON); several need --out-dir")->required();
  wrap->add_option("--out-dir", *wrap_out,
                   "write each wrapped document here under its own name (never overwritten)");
  wrap->callback([&context, wrap_files, wrap_out] {
    context.run = [wrap_files, wrap_out] { return run_wrap(*wrap_files, *wrap_out); };
  });

  auto* batch = doc->add_subcommand("wrap-batch", "Wrap raw documents as one batch (a common merkleRoot)");
  auto batch_files = std::make_shared<std::vector<std::string>>();
  auto batch_out = std::make_shared<std::string>();
  batch->add_option("RAW", *batch_files, "raw documents (JSON)")->required();
  batch
      ->add_option("--out-dir", *batch_out,
                   "directory for the wrapped documents (same file names; never overwritten)")
      ->required();
  batch->callback([&context, batch_files, batch_out] {
    context.run = [batch_files, batch_out] { return run_wrap_batch(*batch_files, *batch_out); };
  });

  auto* obfuscate = doc->add_subcommand("obfuscate", "Hide fields of a wrapped document, keeping it valid");
  auto obfuscate_file = std::make_shared<std::string>();
  auto obfuscate_paths = std::make_shared<std::vector<std::string>>();
  obfuscate->add_option("FILE", *obfuscate_file, "wrapped document")->required();
  obfuscate
      ->add_option(
          "PATH", *obfuscate_paths,
          "field paths such as shipper.address.street or packages.0.weight (after -- if one starts with -)")
      ->required();
  obfuscate->callback([&context, obfuscate_file, obfuscate_paths] {
    context.run = [obfuscate_file, obfuscate_paths] {
      return run_obfuscate(*obfuscate_file, *obfuscate_paths);
    };
  });

  auto* templ = doc->add_subcommand(
      "template", "Print a raw multimodal bill of lading (rail CNCKG-CNQZH, sea CNQZH-SGSIN)");
  auto template_options = std::make_shared<TemplateOptions>();
  templ->add_option("--chain", template_options->chain, "chain id (names the tokenRegistry)")
      ->capture_default_str();
  templ->add_option("--issuer", template_options->issuer,
                    "issuing carrier's address (also the rail leg's carrier)");
  templ->add_option("--sea-carrier", template_options->sea_carrier,
                    "sea leg carrier's address (default: the issuer)");
  templ->add_option("--name", template_options->name, "issuer's registered name");
  templ->add_option("--domain", template_options->domain, "issuer's registered DNS domain");
  templ->add_option("--reference", template_options->reference,
                    "transportDocumentReference (at most 20 characters)");
  templ->add_flag("--straight", template_options->straight, "a straight bill (isToOrder false)");
  templ->callback([&context, template_options] {
    context.run = [template_options] { return run_template(*template_options); };
  });

  auto* verify = doc->add_subcommand("verify",
                                     "Verify wrapped documents. Exit 0 all VALID, 1 any INVALID, 2 any ERROR "
                                     "(and no INVALID), 3 --offline with "
                                     "integrity VALID");
  struct VerifyOptions {
    std::vector<std::string> files;
    bool offline = false;
    bool json_output = false;
    std::string node = "http://127.0.0.1:18080";
  };
  auto verify_options = std::make_shared<VerifyOptions>();
  verify->add_option("FILE", verify_options->files, "wrapped documents")->required();
  verify->add_flag("--offline", verify_options->offline,
                   "check integrity and DID signatures only; status and identity are SKIPPED");
  verify->add_option("--node", verify_options->node, "OneBill node answering status and identity")
      ->envname("ONEBILL_NODE")
      ->default_str("http://127.0.0.1:18080");
  verify->add_flag("--json", verify_options->json_output, "one JSON object per file and line");
  verify->callback([&context, verify_options] {
    context.run = [verify_options] {
      if (verify_options->offline)
        return run_verify(verify_options->files, nullptr, verify_options->json_output);
      return run_verify_on_node(verify_options->files, verify_options->node, verify_options->json_output);
    };
  });
}

}  // namespace onebill::api::cli
