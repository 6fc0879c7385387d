package main

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/osckit/osc/traffic"
)

// runTUI shows the monitor full-screen on the terminal out until ctx ends
// or the user quits. The tally goes on in the server's goroutines; the
// view takes a snapshot every interval.
func (m *monitor) runTUI(ctx context.Context, out *os.File, interval time.Duration) error {
	t := &tui{m: m, interval: interval, sel: -1, width: 80, height: 24}
	m.update()
	// Signals are signalContext's: with Bubble Tea's own handler as well, one
	// signal could both cancel ctx and leave that handler blocked sending
	// to a program that had already stopped, and Run never returned.
	p := tea.NewProgram(t, tea.WithAltScreen(), tea.WithOutput(out), tea.WithContext(ctx), tea.WithoutSignalHandler())
	_, err := p.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil // ended by -timeout or a signal
	}
	return err
}

type tickMsg time.Time

// tui is the bubbletea model of the monitor's screen.
type tui struct {
	m             *monitor
	interval      time.Duration
	width, height int
	paused        bool
	typing        bool // the filter is being typed
	sel           int  // selected visible row, -1: none
	detail        bool // showing the selected row's history
	selName       string
}

var (
	titleStyle  = lipgloss.NewStyle().Bold(true).Reverse(true)
	selStyle    = lipgloss.NewStyle().Reverse(true)
	statusStyle = lipgloss.NewStyle().Faint(true)
)

func (t *tui) tick() tea.Cmd {
	return tea.Tick(t.interval, func(at time.Time) tea.Msg { return tickMsg(at) })
}

func (t *tui) Init() tea.Cmd { return t.tick() }

func (t *tui) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		t.width, t.height = msg.Width, msg.Height
	case tickMsg:
		if !t.paused {
			t.m.update()
			t.follow()
		}
		return t, t.tick()
	case tea.KeyMsg:
		// Keys typed faster than read arrive as one message of runes.
		if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 {
			for _, r := range msg.Runes {
				if cmd := t.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}}); cmd != nil {
					return t, cmd
				}
			}
			return t, nil
		}
		return t, t.key(msg)
	}
	return t, nil
}

// follow keeps the selection on the same address when the rows move.
func (t *tui) follow() {
	if t.sel < 0 {
		return
	}
	rows := t.m.view.visible(&t.m.snap)
	if i := slices.IndexFunc(rows, func(r *traffic.Row) bool { return r.Name == t.selName }); i >= 0 {
		t.sel = i
	} else {
		t.sel = min(t.sel, len(rows)-1)
	}
	t.remember()
}

func (t *tui) remember() {
	rows := t.m.view.visible(&t.m.snap)
	if t.sel >= 0 && t.sel < len(rows) {
		t.selName = rows[t.sel].Name
	} else {
		t.sel, t.selName, t.detail = -1, "", false
	}
}

func (t *tui) key(k tea.KeyMsg) tea.Cmd {
	if k.Type == tea.KeyCtrlC {
		return tea.Quit
	}
	v := &t.m.view
	if t.typing {
		switch k.Type {
		case tea.KeyEnter:
			t.typing = false
		case tea.KeyEsc:
			t.typing, v.filter = false, ""
		case tea.KeyBackspace:
			if v.filter != "" {
				v.filter = v.filter[:len(v.filter)-1]
			}
		case tea.KeyRunes, tea.KeySpace:
			v.filter += string(k.Runes)
		}
		t.sel = -1
		t.remember()
		return nil
	}
	switch k.String() {
	case "q":
		return tea.Quit
	case "/":
		t.typing, t.detail = true, false
	case "s":
		v.sort = sortKeys[(slices.Index(sortKeys, v.sort)+1)%len(sortKeys)]
		t.follow()
	case "p", " ":
		t.paused = !t.paused
		if !t.paused {
			t.m.update()
			t.follow()
		}
	case "c":
		t.m.tb.Reset()
		t.m.update()
		t.sel = -1
		t.remember()
	case "down", "j":
		t.sel++
		if n := len(v.visible(&t.m.snap)); t.sel >= n {
			t.sel = n - 1
		}
		t.remember()
	case "up", "k":
		if t.sel > 0 {
			t.sel--
		}
		t.remember()
	case "enter":
		t.detail = t.sel >= 0
	case "esc":
		if t.detail {
			t.detail = false
		} else {
			t.sel = -1
			t.remember()
		}
	}
	return nil
}

func (t *tui) View() string {
	var b strings.Builder
	state := "live"
	if t.paused {
		state = "PAUSED"
	}
	title := "oscli monitor  " + time.Now().Format("15:04:05") + "  " + state + "  sort " + t.m.view.sort
	if f := t.m.view.filter; f != "" || t.typing {
		title += "  filter " + f
		if t.typing {
			title += "_"
		}
	}
	b.WriteString(titleStyle.Render(pad(title, t.width)))
	b.WriteByte('\n')
	var body string
	if rows := t.m.view.visible(&t.m.snap); t.detail && t.sel >= 0 && t.sel < len(rows) {
		body = string(appendDetail(nil, rows[t.sel], t.width))
	} else {
		body = string(t.m.appendScreen(nil, t.width, t.height-2, t.sel))
	}
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	lines = lines[:min(len(lines), max(t.height-2, 1))]
	for _, l := range lines {
		if strings.HasPrefix(l, ">") {
			l = selStyle.Render(l)
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	for range t.height - 2 - len(lines) {
		b.WriteByte('\n')
	}
	help := "/ filter  s sort  p pause  ↑↓ select  enter history  c clear  q quit"
	if t.detail {
		help = "esc back  p pause  q quit"
	}
	b.WriteString(statusStyle.Render(help))
	return b.String()
}

func pad(s string, w int) string {
	if n := lipgloss.Width(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}
