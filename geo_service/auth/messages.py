"""The words of sign-in, accounts and refusals (Chinese, English)."""

from __future__ import annotations

from geo_service.i18n import both, register_messages

__all__ = ["MESSAGES", "both"]

MESSAGES: dict[str, tuple[str, str]] = {
    # refusals
    "auth_sign_in": ("请先登录。", "Please sign in first."),
    "auth_sign_in_to_report": ("本社区不接受匿名上报，请先登录。",
                               "Anonymous reports are not accepted here; please sign in."),
    "auth_role": ("您的账号没有权限执行此操作。", "Your account may not do this."),
    "auth_scope": ("这个隐患不在您负责的网格或楼栋内。",
                   "This hazard is not in your grids or buildings."),
    "auth_csrf": ("表单已过期或来源不明，请刷新页面后重试。",
                  "The form has expired or did not come from this site; reload the page and "
                  "try again."),
    "auth_bad_token": ("API 令牌无效或已撤销。", "The API token is not valid or was revoked."),
    "auth_refused_title": ("无法访问", "Not allowed"),
    "auth_sign_in_other": ("以其他账号登录", "Sign in as somebody else"),
    "auth_home": ("返回地图", "Back to the map"),
    # navigation and sign-in
    "auth_login": ("登录", "Sign in"),
    "auth_logout": ("退出", "Sign out"),
    "auth_account": ("我的账号", "My account"),
    "auth_users": ("账号管理", "Accounts"),
    "auth_username": ("用户名", "Username"),
    "auth_password": ("密码", "Password"),
    "auth_login_failed": ("用户名或密码不正确。", "Wrong username or password."),
    "auth_login_intro": ("工作人员和居民请登录；不登录也可以查看地图。",
                         "Staff and residents sign in here; the map needs no account."),
    "auth_logged_out": ("您已退出登录。", "You have signed out."),
    # account page
    "auth_role_label": ("角色", "Role"),
    "auth_grids": ("负责网格", "Grids"),
    "auth_buildings": ("负责楼栋", "Buildings"),
    "auth_my_reports": ("我上报的隐患", "My reports"),
    "auth_no_reports": ("您还没有上报过隐患。", "You have not reported anything yet."),
    "auth_contact": ("联系方式", "Contact"),
    "auth_change_password": ("修改密码", "Change password"),
    "auth_old_password": ("当前密码", "Current password"),
    "auth_new_password": ("新密码", "New password"),
    "auth_password_changed": ("密码已修改。", "Your password has been changed."),
    "auth_wrong_password": ("当前密码不正确。", "The current password is wrong."),
    "auth_pw_short": ("密码至少需要 {n} 个字符。", "The password needs at least {n} characters."),
    "auth_pw_long": ("密码最多 {n} 个字符。", "The password may have at most {n} characters."),
    "auth_pw_username": ("密码不能与用户名相同。", "The password must not be the username."),
    # accounts page
    "auth_users_intro": ("本社区的账号。停用的账号立即无法登录，其令牌也随之失效。",
                         "The community's accounts. A deactivated account cannot sign in and "
                         "its tokens stop working at once."),
    "auth_display_name": ("姓名", "Name"),
    "auth_phone": ("电话", "Phone"),
    "auth_active": ("状态", "Status"),
    "auth_is_active": ("启用", "active"),
    "auth_is_inactive": ("停用", "inactive"),
    "auth_activate": ("启用", "Activate"),
    "auth_deactivate": ("停用", "Deactivate"),
    "auth_add_user": ("新增账号", "Add an account"),
    "auth_grids_hint": ("网格编号，逗号分隔", "grid numbers, comma separated"),
    "auth_buildings_hint": ("楼栋编号（如 B0001），逗号分隔",
                            "building ids (like B0001), comma separated"),
    "auth_add": ("新增", "Add"),
    "auth_user_added": ("已新增账号 {username}。", "Account {username} added."),
    "auth_tokens": ("API 令牌", "API tokens"),
    "auth_token_name": ("令牌用途", "What the token is for"),
    "auth_new_token": ("生成令牌", "New token"),
    "auth_token_once": ("新令牌（只显示这一次，请立即保存）：",
                        "The new token (shown only this once; keep it now):"),
    "auth_revoke": ("撤销", "Revoke"),
    "auth_revoked": ("已撤销", "revoked"),
    "auth_last_used": ("最近使用", "Last used"),
    "auth_owner": ("所属账号", "Account"),
    # account errors
    "auth_no_user": ("没有用户名为 {username} 的账号。", "There is no account {username}."),
    "auth_user_exists": ("用户名 {username} 已被使用。", "The username {username} is taken."),
    "auth_bad_username": ("用户名须为 1 到 {limit} 个字符，且不含空格。",
                          "A username has 1 to {limit} characters and no spaces."),
    "auth_bad_role": ("角色必须是：{roles}。", "The role must be one of: {roles}."),
    "auth_no_grid": ("没有编号为 {grids} 的网格。", "There is no grid numbered {grids}."),
    "auth_no_building": ("没有编号为 {buildings} 的楼栋。", "There is no building {buildings}."),
    "auth_bad_token_name": ("请填写令牌用途（最多 100 个字符）。",
                            "Name what the token is for (at most 100 characters)."),
    "auth_bad_number": ("网格编号必须是整数。", "Grid numbers are whole numbers."),
    # roles
    "auth_role_public": ("公众", "public"),
    "auth_role_resident": ("居民", "resident"),
    "auth_role_building_leader": ("楼栋长", "building leader"),
    "auth_role_grid_worker": ("网格员", "grid worker"),
    "auth_role_patrol": ("巡逻队员", "patrol member"),
    "auth_role_community_admin": ("社区管理员", "community admin"),
    "auth_role_subdistrict": ("街道", "subdistrict"),
}

register_messages(MESSAGES)
