"""Repeated failed admin logins pause logging in, per account and per address, with a clear message."""

import pytest
from django.contrib.auth.models import User

from tests.conftest import make_staff

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
PAUSED = "Too many failed logins for this account or from your address."


def attempt(client, username, password, address="203.0.113.7"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def logged_in(client):
    return "_auth_user_id" in client.session


def test_wrong_password_is_refused_as_usual_before_the_limit(client):
    make_staff("Curators", "anna")
    for _ in range(4):
        response = attempt(client, "anna", "wrong")
        assert "Please enter the correct username and password" in response.content.decode()
    assert attempt(client, "anna", "pw-for-tests-only").status_code == 302
    assert logged_in(client)


def test_fifth_failure_pauses_the_account_even_for_the_right_password(client):
    make_staff("Curators", "anna")
    for _ in range(5):
        attempt(client, "anna", "wrong")
    response = attempt(client, "anna", "pw-for-tests-only")
    page = response.content.decode()
    assert response.status_code == 200
    assert PAUSED in page
    assert "try again in 15 minutes" in page
    assert not logged_in(client)


def test_pause_is_per_account_and_ignores_letter_case(client):
    make_staff("Curators", "anna")
    make_staff("Curators", "boris")
    for _ in range(5):
        attempt(client, "ANNA ", "wrong")
    assert PAUSED in attempt(client, "anna", "pw-for-tests-only").content.decode()
    assert attempt(client, "boris", "pw-for-tests-only").status_code == 302


def test_unknown_accounts_are_paused_alike(client):
    for _ in range(5):
        attempt(client, "nobody", "guess")
    assert PAUSED in attempt(client, "nobody", "guess").content.decode()


def test_success_clears_the_account_count(client):
    make_staff("Curators", "anna")
    for _ in range(4):
        attempt(client, "anna", "wrong")
    assert attempt(client, "anna", "pw-for-tests-only").status_code == 302
    client.logout()
    for _ in range(4):
        attempt(client, "anna", "wrong")
    assert attempt(client, "anna", "pw-for-tests-only").status_code == 302


def test_many_accounts_guessed_from_one_address_pause_that_address(client):
    make_staff("Curators", "anna")
    for n in range(20):
        attempt(client, f"user{n}", "guess", address="198.51.100.1")
    assert PAUSED in attempt(client, "anna", "pw-for-tests-only", address="198.51.100.1").content.decode()
    assert attempt(client, "anna", "pw-for-tests-only", address="198.51.100.2").status_code == 302


def test_pause_ends_after_the_window(client, monkeypatch):
    import eurasia.throttle

    make_staff("Curators", "anna")
    now = 1_900_000_000.0
    monkeypatch.setattr(eurasia.throttle.time, "time", lambda: now)
    for _ in range(5):
        attempt(client, "anna", "wrong")
    monkeypatch.setattr(eurasia.throttle.time, "time", lambda: now + 14 * 60)
    assert "try again in 1 minute." in attempt(client, "anna", "pw-for-tests-only").content.decode()
    monkeypatch.setattr(eurasia.throttle.time, "time", lambda: now + 15 * 60 + 1)
    assert attempt(client, "anna", "pw-for-tests-only").status_code == 302


def test_address_comes_from_the_proxy_header_when_configured(client, settings):
    settings.LOGIN_THROTTLE = {**settings.LOGIN_THROTTLE, "address_header": "HTTP_X_REAL_IP"}
    make_staff("Curators", "anna")
    for n in range(20):
        client.post(LOGIN, {"username": f"u{n}", "password": "x"}, HTTP_X_REAL_IP="192.0.2.9")
    paused = client.post(LOGIN, {"username": "anna", "password": "pw-for-tests-only"}, HTTP_X_REAL_IP="192.0.2.9")
    assert PAUSED in paused.content.decode()
    other = client.post(LOGIN, {"username": "anna", "password": "pw-for-tests-only"}, HTTP_X_REAL_IP="192.0.2.10")
    assert other.status_code == 302


def test_failures_are_shared_by_every_server_process(client):
    """The counts live in PostgreSQL, not in one process's memory."""
    from django.db import connection

    for _ in range(2):
        attempt(client, "anna", "wrong")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM eurasia_login_failures")
        assert cursor.fetchone()[0] == 2  # one for the account, one for the address
    assert not User.objects.filter(username="anna").exists()


@pytest.mark.parametrize("variant", ["ａｄｍｉｎ", "ADMIN", " Admin ", "ᵃdmin"])
def test_a_paused_account_stays_paused_under_any_spelling_of_its_name(client, variant):
    make_staff("Curators", "admin")
    for _ in range(5):
        attempt(client, "admin", "wrong")
    response = attempt(client, variant, "pw-for-tests-only")
    assert PAUSED in response.content.decode()
    assert not logged_in(client)


def test_guesses_through_spellings_of_a_name_count_against_that_account(client):
    make_staff("Curators", "admin")
    for variant in ["ａｄｍｉｎ", "ADMIN", "ａdmin", "admin ", "Ａｄｍｉｎ"]:
        attempt(client, variant, "wrong")
    assert PAUSED in attempt(client, "admin", "pw-for-tests-only").content.decode()


def test_fullwidth_name_logs_in_as_the_account_it_normalises_to(client):
    make_staff("Curators", "admin")
    assert attempt(client, "ａｄｍｉｎ", "pw-for-tests-only").status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(username="admin").pk)


def test_someone_elsewhere_cannot_lock_a_curator_out(client):
    make_staff("Curators", "anna")
    for _ in range(30):
        attempt(client, "anna", "wrong", address="198.51.100.66")
    assert PAUSED in attempt(client, "anna", "pw-for-tests-only", address="198.51.100.66").content.decode()
    assert attempt(client, "anna", "pw-for-tests-only", address="203.0.113.7").status_code == 302


def test_a_pause_earned_again_lasts_twice_as_long(client, monkeypatch):
    import eurasia.throttle

    make_staff("Curators", "anna")
    now = 1_900_000_000.0
    monkeypatch.setattr(eurasia.throttle.time, "time", lambda: now)
    for _ in range(5):
        attempt(client, "anna", "wrong")
    assert "try again in 15 minutes." in attempt(client, "anna", "wrong").content.decode()
    now += 15 * 60 + 1
    for _ in range(5):
        attempt(client, "anna", "wrong")
    assert "try again in 30 minutes." in attempt(client, "anna", "wrong").content.decode()
    now += 30 * 60 + 1
    for _ in range(5):
        attempt(client, "anna", "wrong")
    assert "try again in 60 minutes." in attempt(client, "anna", "wrong").content.decode()


def test_successful_logins_from_one_office_do_not_pause_it(client):
    for n in range(25):
        make_staff("Curators", f"curator{n}")
        assert attempt(client, f"curator{n}", "pw-for-tests-only", address="192.0.2.1").status_code == 302
        client.logout()


def test_an_off_site_next_lands_on_the_admin_index(client):
    make_staff("Curators", "anna")
    response = client.post(
        "/admin/login/?next=https://evil.example/phish",
        {"username": "anna", "password": "pw-for-tests-only", "next": "https://evil.example/phish"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_are_counted_one_by_one(django_db_blocker):
    """Thirty wrong passwords sent at once: five are checked, the rest are refused unchecked."""
    import threading

    from django.contrib.auth.signals import user_login_failed
    from django.db import connection
    from django.test import Client

    make_staff("Curators", "anna")
    checked, pages = [], []
    user_login_failed.connect(receiver := lambda **kw: checked.append(1), weak=False)
    start = threading.Barrier(30)

    def guess():
        try:
            start.wait()
            pages.append(attempt(Client(), "anna", "wrong").content.decode())
        finally:
            connection.close()  # each thread has its own connection to the database

    try:
        threads = [threading.Thread(target=guess) for _ in range(30)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        user_login_failed.disconnect(receiver)
    assert len(checked) == 5
    assert sum(PAUSED in page for page in pages) == 25
    assert PAUSED in attempt(Client(), "anna", "pw-for-tests-only").content.decode()
