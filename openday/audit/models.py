from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """One change or security event: who, when, what. Rows are only ever added."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept even if the user is deleted later, and for failed sign-ins with unknown names.
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=255, blank=True)
    # The org the entry belongs to, so an office sees the entries of its subtree.
    org = models.ForeignKey(
        "orgs.Org", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    org_path = models.CharField(max_length=255, blank=True, db_index=True)
    changes = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)


ACTION_LABELS = {
    "auth.login": "登录成功",
    "auth.login_failed": "登录失败",
    "auth.locked": "账户锁定",
    "auth.unlocked": "解除锁定",
    "auth.logout": "退出登录",
    "auth.password_changed": "修改密码",
    "auth.password_reset": "重置密码",
    "auth.password_signin_paused": "暂停仅凭密码登录",
    "auth.2fa_enrolled": "绑定两步验证",
    "auth.2fa_failed": "两步验证失败",
    "auth.2fa_recovery_used": "使用恢复码登录",
    "auth.2fa_reset": "重置两步验证",
    "token.created": "生成 API 令牌",
    "token.revoked": "吊销 API 令牌",
    "user.created": "新建账户",
    "user.updated": "修改账户",
    "user.deactivated": "停用账户",
    "user.activated": "启用账户",
    "membership.granted": "授予角色",
    "membership.changed": "变更角色",
    "membership.revoked": "撤销角色",
    "org.created": "新建组织",
    "org.updated": "修改组织",
    "org.imported": "导入组织架构",
    "region.created": "新建行政区划",
    "region.updated": "修改行政区划",
    "campaign.created": "新建年度活动",
    "campaign.updated": "修改年度活动",
    "campaign.notice_issued": "印发通知",
    "declaration.saved": "保存申报草稿",
    "declaration.submitted": "提交申报",
    "declaration.returned": "退回申报",
    "declaration.approved": "通过申报",
    "declaration.reminded": "申报提醒",
    "plan.generated": "生成计划安排表",
    "plan.entry_moved": "调整计划",
    "plan.published": "发布计划安排表",
    "event.created": "新建活动",
    "event.updated": "修改活动",
    "event.published": "发布活动",
    "event.status": "活动状态变更",
    "event.personal_data_removed": "活动个人信息匿名化",
    "opinion.personal_data_removed": "意见个人信息匿名化",
    "message.retry": "重新发送失败的消息",
    "invitation.imported": "导入邀请名单",
    "invitation.sent": "发送邀请",
    "invitation.reminded": "提醒受邀人",
    "registration.created": "报名",
    "registration.cancelled": "取消报名",
    "registration.reviewed": "审核报名",
    "registration.checked_in": "签到",
    "registration.promoted": "候补递补",
    "survey.create": "新建问卷",
    "survey.update": "修改问卷设置",
    "survey.status": "问卷状态变更",
    "survey.question_add": "添加题目",
    "survey.question_edit": "修改题目",
    "survey.question_delete": "删除题目",
    "survey.question_move": "调整题目顺序",
    "survey.paper_entry": "录入纸质答卷",
    "survey.paper_import": "导入纸质答卷",
    "survey.response_delete": "删除答卷",
    "survey.personal_data_removed": "问卷个人信息匿名化",
    "workdays.set": "修改工作日历",
    "workdays.clear": "删除放假调休日",
    "workdays.import": "导入放假安排",
    "opinion.received": "收到意见建议",
    "opinion.classified": "意见分类",
    "opinion.merged": "合并意见",
    "opinion.split": "拆分意见",
    "opinion.assigned": "交办意见",
    "opinion.reassigned": "改派意见",
    "opinion.answered": "答复意见",
    "opinion.returned": "退回修改",
    "opinion.approved": "审核通过",
    "opinion.published": "公开办理结果",
    "opinion.unpublished": "撤回公开",
    "opinion.step_added": "添加整改措施",
    "opinion.step_done": "整改措施完成",
    "opinion.evidence_added": "上传整改材料",
    "opinion.escalated": "意见超期提醒",
    "callback.list_built": "生成回访名单",
    "callback.logged": "记录电话回访",
    "callback.phone_viewed": "查看回访号码",
    "triage.retrained": "重新训练分拣模型",
    "triage.settings_changed": "修改本办意见分类",
    "triage.retrain_requested": "请求重新训练分拣模型",
    # publicity: articles
    "article.created": "新建稿件",
    "article.generated": "生成稿件初稿",
    "article.updated": "修改稿件",
    "article.deleted": "删除稿件草稿",
    "article.image_added": "上传稿件图片",
    "article.image_removed": "删除稿件图片",
    "article.image_moved": "调整稿件图片顺序",
    "article.image_updated": "修改图片说明",
    "article.submitted": "提交稿件审核",
    "article.recalled": "撤回稿件提交",
    "article.approved": "审核发布稿件",
    "article.returned": "退回稿件修改",
    "article.withdrawn": "撤回已发布稿件",
    "article.wechat_requested": "发布到微信公众号",
    "wechat_account.created": "设置微信公众号",
    "wechat_account.changed": "修改微信公众号设置",
    "wechat_account.tested": "测试微信公众号连接",
    # summary: event summaries and evidence
    "summary.saved": "保存活动总结",
    "summary.submitted": "报送活动总结",
    "summary.reopened": "退回活动总结",
    "photo.added": "上传活动照片",
    "photo.updated": "修改活动照片",
    "photo.deleted": "删除活动照片",
    "evidence.downloaded": "下载佐证材料",
    "export.downloaded": "下载导出文件",
    # evaluation: schemes, adjustments, awards
    "evaluation.report_saved": "保存年度报告文字",
    "evaluation.scheme_created": "建立考核指标",
    "evaluation.weights_saved": "修改考核指标分值",
    "evaluation.adjusted": "考核加减分",
    "evaluation.adjustment_revoked": "撤销考核加减分",
    "evaluation.award_marked": "标记表彰",
    "evaluation.award_removed": "取消表彰",
    "evaluation.published": "公布考核结果",
    "evaluation.unpublished": "撤回考核结果",
}
