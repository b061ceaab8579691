#include "api/notices.h"

#include <spdlog/spdlog.h>

namespace entente::api {

MailNotifier::MailNotifier(std::optional<mail::SmtpConfig> smtp, mail::WebhookOptions webhooks)
    : webhooks_(std::move(webhooks)) {
  if (smtp) smtp_.emplace(std::move(*smtp));
}

Status MailNotifier::Email(const std::vector<std::string>& to, const std::string& subject,
                           const std::string& body) {
  if (!smtp_) {
    spdlog::info("email notice to {} recipient(s) not sent: no SMTP server configured", to.size());
    return Ok();
  }
  mail::MailMessage m;
  m.to = to;
  m.subject = subject;
  m.body = body;
  return smtp_->Send(m);
}

Status MailNotifier::Webhook(const std::string& url, const std::string& secret,
                             const comms::Json& body) {
  return webhooks_.Post(url, secret, body);
}

}  // namespace entente::api
