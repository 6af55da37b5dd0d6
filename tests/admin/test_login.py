from .. import conftest


def test_admin_pages_need_a_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login" in response.headers["Location"]


def test_json_requests_without_a_session_get_401(client):
    assert client.get("/admin/", headers={"Accept": "application/json"}).status_code == 401


def test_login_shows_the_overview_with_the_widget_figure(admin_client, drive):
    page = admin_client.get("/admin/").get_data(as_text=True)
    assert drive.title in page
    assert "$0.00" in page


def test_wrong_password_is_refused(client, admin_user):
    token = conftest.csrf_token_from(client.get("/admin/login").get_data(as_text=True))
    response = client.post(
        "/admin/login",
        data={"email": conftest.ADMIN_EMAIL, "password": "wrong password!", "csrf_token": token},
    )
    assert response.status_code == 401
    assert client.get("/admin/").status_code == 302


def test_login_without_csrf_token_is_refused(client, admin_user):
    response = client.post(
        "/admin/login", data={"email": conftest.ADMIN_EMAIL, "password": conftest.ADMIN_PASSWORD}
    )
    assert response.status_code == 400


def test_admin_create_cli_refuses_short_passwords(runner):
    result = runner.invoke(args=["admin", "create", "x@example.org", "--password", "short"])
    assert result.exit_code != 0
    assert "password" in result.output
